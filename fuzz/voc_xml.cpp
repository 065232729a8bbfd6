// The VOC annotation reader (data/formats/voc.h) on arbitrary XML.
#include "fuzz_support.h"
#include "ssd/data/formats/voc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto xml = ssd::fuzz::as_file("a.xml", data, size);
  const ssd::data::OnBadFile ignore = [](const std::string&, const std::string&) {};
  const ssd::data::DataIssues issues{ignore, ignore, ignore};
  ssd::fuzz::expect_clean([&] { ssd::data::read_voc_xml(xml, "a.jpg", {"circle", "square", "triangle", "star"}, &issues); });
  ssd::fuzz::expect_clean([&] { ssd::data::read_voc_xml(xml, "a.jpg", {"circle", "square", "triangle", "star"}); });
  return 0;
}
