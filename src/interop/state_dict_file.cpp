#include "ssd/interop/state_dict_file.h"

#include <ATen/Functions.h>
#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "ssd/util/error.h"

namespace ssd::interop {

namespace {

// A Python value as far as a state-dict pickle holds them. Containers are shared, because the pickle's memo
// refers to them and SETITEMS / APPENDS fill them after they were memoised.
struct Value;
using Ref = std::shared_ptr<Value>;

struct PendingTensor {  // _rebuild_tensor_v2's arguments, materialised once the storages are known
  std::string storage_key;
  at::ScalarType dtype = at::kFloat;
  int64_t offset = 0, numel = 0;
  std::vector<int64_t> size, stride;
};

struct Value {
  enum class Kind { None, Bool, Int, BigInt, Float, String, Tuple, List, Dict, Global, Storage, Tensor } kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // String (and bytes), BigInt's raw little-endian bytes, Storage key
  std::vector<Ref> items;
  std::vector<std::pair<Ref, Ref>> entries;
  std::string module, name;  // Global
  at::ScalarType dtype = at::kFloat;
  int64_t numel = 0;  // Storage
  PendingTensor tensor;
};

Ref make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

const std::map<std::string, at::ScalarType>& storage_types() {
  static const std::map<std::string, at::ScalarType> types{
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble}, {"HalfStorage", at::kHalf},
      {"BFloat16Storage", at::kBFloat16}, {"LongStorage", at::kLong}, {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar}, {"ByteStorage", at::kByte},
      {"BoolStorage", at::kBool}};
  return types;
}

// One pickle program, run from `pos` in `bytes` to its STOP.
class PickleMachine {
 public:
  PickleMachine(const std::string& file, const std::string& bytes, size_t pos) : file_(file), bytes_(bytes), pos_(pos) {}

  Ref run() {
    while (true) {
      const auto op = static_cast<uint8_t>(take(1)[0]);
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1) fail("pickle ends with " + std::to_string(stack_.size()) + " values on its stack");
    return stack_.back();
  }
  size_t position() const { return pos_; }
  /// The element type of every storage the pickle referred to, by key (the legacy format's raw data needs it).
  const std::map<std::string, at::ScalarType>& storage_dtypes() const { return storage_dtypes_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(file_ + ": cannot read this state dict (" + what + " at byte " + std::to_string(pos_) + ")");
  }
  const char* take(size_t n) {
    if (n > bytes_.size() - pos_) fail("file ends inside the pickle");  // (pos_ + n could wrap for a corrupt n)
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T little(size_t n) {  // little-endian unsigned integer of n bytes
    const auto* p = reinterpret_cast<const unsigned char*>(take(n));
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return static_cast<T>(v);
  }
  std::string line() {
    const size_t end = bytes_.find('\n', pos_);
    if (end == std::string::npos) fail("unterminated text argument");
    std::string s = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  int64_t number_line() {  // protocol 0's decimal arguments
    const std::string text = line();
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
      fail("'" + text + "' where a number belongs");
    }
  }
  Ref pop() {
    if (stack_.empty()) fail("pop from an empty stack");
    Ref v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::vector<Ref> pop_to_mark() {
    if (marks_.empty()) fail("no MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    if (mark > stack_.size()) fail("a MARK above the stack");
    std::vector<Ref> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  Ref& top() {
    if (stack_.empty()) fail("empty stack");
    return stack_.back();
  }
  void push_string(size_t n) {
    auto v = make(Value::Kind::String);
    v->text.assign(take(n), n);
    stack_.push_back(v);
  }
  void push_int(int64_t i) {
    auto v = make(Value::Kind::Int);
    v->integer = i;
    stack_.push_back(v);
  }
  // Only what a state dict is made of; any other Python object is refused by name (as torch.load(weights_only=True)).
  void push_global(const std::string& module, const std::string& name) {
    const std::string what = module + "." + name;
    const bool allowed = what == "collections.OrderedDict" || what == "torch._utils._rebuild_tensor_v2" ||
                         what == "torch._utils._rebuild_tensor" || what == "torch._utils._rebuild_parameter" ||
                         what == "torch.jit._pickle.restore_type_tag" ||
                         (module == "torch" && storage_types().count(name));
    if (!allowed) fail("the Python object " + what + ", which is not part of a state dict");
    auto g = make(Value::Kind::Global);
    g->module = module, g->name = name;
    stack_.push_back(g);
  }
  Ref memo_get(uint32_t id) {
    const auto it = memo_.find(id);
    if (it == memo_.end()) fail("memo entry " + std::to_string(id) + " read before it was written");
    return it->second;
  }
  void set_items(Value& dict, const std::vector<Ref>& kv) {
    if (dict.kind != Value::Kind::Dict) fail("SETITEMS on something that is not a dict");
    for (size_t i = 0; i + 1 < kv.size(); i += 2) dict.entries.emplace_back(kv[i], kv[i + 1]);
  }

  void step(uint8_t op) {
    if (!step_structure(op) && !step_value(op) && !step_memo(op))
      fail("pickle opcode 0x" + fmt_hex(op) + ", which torch.save does not write for a state dict");
  }

  // Framing, marks, tuples, lists, dicts, the stack, REDUCE and BUILD.
  bool step_structure(uint8_t op) {
    switch (op) {
      case 0x80: take(1); return true;  // PROTO
      case 0x95: take(8); return true;  // FRAME (a hint for buffered readers)
      case '(': marks_.push_back(stack_.size()); return true;
      case ')': stack_.push_back(make(Value::Kind::Tuple)); return true;
      case 't': { auto t = make(Value::Kind::Tuple); t->items = pop_to_mark(); stack_.push_back(t); return true; }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        auto t = make(Value::Kind::Tuple);
        t->items.resize(op - 0x84u);
        for (size_t i = t->items.size(); i-- > 0;) t->items[i] = pop();
        stack_.push_back(t);
        return true;
      }
      case ']': stack_.push_back(make(Value::Kind::List)); return true;
      case 'l': { auto l = make(Value::Kind::List); l->items = pop_to_mark(); stack_.push_back(l); return true; }
      case 'a': { auto v = pop(); top()->items.push_back(v); return true; }
      case 'e': { auto items = pop_to_mark(); auto& l = top()->items; l.insert(l.end(), items.begin(), items.end()); return true; }
      case '}': stack_.push_back(make(Value::Kind::Dict)); return true;
      case 'd': { auto d = make(Value::Kind::Dict); set_items(*d, pop_to_mark()); stack_.push_back(d); return true; }
      case 's': { auto v = pop(); auto k = pop(); set_items(*top(), {k, v}); return true; }
      case 'u': { auto kv = pop_to_mark(); set_items(*top(), kv); return true; }
      case '0': pop(); return true;
      case '1': pop_to_mark(); return true;
      case '2': stack_.push_back(top()); return true;
      case 'R': { auto args = pop(); auto callable = pop(); stack_.push_back(reduce(*callable, *args)); return true; }
      case 'b': {  // BUILD: only an OrderedDict's attributes (its _metadata) occur in a state dict; they are dropped
        pop();
        if (top()->kind != Value::Kind::Dict) fail("an object with state (BUILD) that is not an OrderedDict");
        return true;
      }
      default: return false;
    }
  }

  // None, booleans, numbers, strings and persistent ids (tensor storages).
  bool step_value(uint8_t op) {
    switch (op) {
      case 'N': stack_.push_back(make(Value::Kind::None)); return true;
      case 0x88: case 0x89: { auto b = make(Value::Kind::Bool); b->boolean = op == 0x88; stack_.push_back(b); return true; }
      case 'J': push_int(static_cast<int32_t>(little<uint32_t>(4))); return true;
      case 'K': push_int(little<uint8_t>(1)); return true;
      case 'M': push_int(little<uint16_t>(2)); return true;
      case 'I': push_int(number_line()); return true;
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        const size_t n = little<uint8_t>(1);
        if (n <= 8) {
          uint64_t v = n ? little<uint64_t>(n) : 0;
          if (n && n < 8 && (v >> (8 * n - 1)) & 1u) v |= ~uint64_t{0} << (8 * n);  // sign-extend
          push_int(static_cast<int64_t>(v));
        } else {
          auto big = make(Value::Kind::BigInt);
          big->text.assign(take(n), n);
          stack_.push_back(big);
        }
        return true;
      }
      case 'G': {  // BINFLOAT, big-endian
        const auto* p = reinterpret_cast<const unsigned char*>(take(8));
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        auto f = make(Value::Kind::Float);
        std::memcpy(&f->number, &bits, 8);
        stack_.push_back(f);
        return true;
      }
      case 'X': case 'T': case 'B': push_string(little<uint32_t>(4)); return true;  // BINUNICODE, BINSTRING, BINBYTES
      case 0x8c: case 'U': case 'C': push_string(little<uint8_t>(1)); return true;  // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
      case 0x8d: case 0x8e: push_string(little<uint64_t>(8)); return true;          // BINUNICODE8, BINBYTES8
      case 'Q': stack_.push_back(storage(pop())); return true;  // BINPERSID
      default: return false;
    }
  }

  // Globals and the memo.
  bool step_memo(uint8_t op) {
    switch (op) {
      case 'c': {
        auto module = line();
        push_global(module, line());
        return true;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop();
        auto module = pop();
        push_global(module->text, name->text);
        return true;
      }
      case 'q': memo_[little<uint8_t>(1)] = top(); return true;
      case 'r': memo_[little<uint32_t>(4)] = top(); return true;
      case 0x94: { const auto id = static_cast<uint32_t>(memo_.size()); memo_[id] = top(); return true; }
      case 'p': memo_[static_cast<uint32_t>(number_line())] = top(); return true;
      case 'h': stack_.push_back(memo_get(little<uint8_t>(1))); return true;
      case 'j': stack_.push_back(memo_get(little<uint32_t>(4))); return true;
      case 'g': stack_.push_back(memo_get(static_cast<uint32_t>(number_line()))); return true;
      default: return false;
    }
  }

  static std::string fmt_hex(uint8_t op) {
    const char* digits = "0123456789abcdef";
    return {digits[op >> 4], digits[op & 15]};
  }

  // A persistent id ('storage', torch.<Type>Storage, key, location, numel[, view]): the tensor data's record.
  Ref storage(const Ref& pid) {
    if (pid->kind != Value::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->text != "storage")
      fail("a persistent id that is not a tensor storage");
    const auto& type = *pid->items[1];
    const auto it = storage_types().find(type.name);
    if (type.kind != Value::Kind::Global || it == storage_types().end()) fail("storage type " + type.module + "." + type.name);
    if (pid->items.size() > 5 && pid->items[5]->kind != Value::Kind::None) fail("a storage view (torch < 0.4 file)");
    auto s = make(Value::Kind::Storage);
    s->text = pid->items[2]->text;
    s->dtype = it->second;
    s->numel = pid->items[4]->integer;
    storage_dtypes_[s->text] = s->dtype;
    return s;
  }

  std::vector<int64_t> ints(const Value& tuple) {
    std::vector<int64_t> out;
    for (const auto& v : tuple.items) {
      if (v->kind != Value::Kind::Int) fail("a tensor size or stride that is not an integer");
      out.push_back(v->integer);
    }
    return out;
  }

  Ref reduce(const Value& callable, const Value& args) {
    if (callable.kind != Value::Kind::Global) fail("a call of something that is not a global");
    const std::string what = callable.module + "." + callable.name;
    if (what == "collections.OrderedDict") return make(Value::Kind::Dict);
    if (what == "torch._utils._rebuild_tensor_v2" || what == "torch._utils._rebuild_tensor") {
      if (args.items.size() < 4 || args.items[0]->kind != Value::Kind::Storage) fail(what + " with unexpected arguments");
      auto t = make(Value::Kind::Tensor);
      t->tensor.storage_key = args.items[0]->text;
      t->tensor.dtype = args.items[0]->dtype;
      t->tensor.numel = args.items[0]->numel;
      if (args.items[1]->kind != Value::Kind::Int) fail(what + " with a storage offset that is not an integer");
      t->tensor.offset = args.items[1]->integer;
      t->tensor.size = ints(*args.items[2]);
      t->tensor.stride = ints(*args.items[3]);
      return t;
    }
    // LibTorch's torch::pickle_save tags each dict with its type ("Dict[str, Tensor]"); Python drops the tag.
    if (what == "torch.jit._pickle.restore_type_tag") {
      if (args.items.empty()) fail(what + " without a value");
      return args.items[0];
    }
    if (what == "torch._utils._rebuild_parameter") {
      if (args.items.empty() || args.items[0]->kind != Value::Kind::Tensor) fail(what + " without a tensor");
      return args.items[0];
    }
    fail("the Python object " + what + ", which is not part of a state dict");
  }

  const std::string& file_;
  const std::string& bytes_;
  size_t pos_;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Ref> memo_;
  std::map<std::string, at::ScalarType> storage_dtypes_;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": weights file not found");
  std::string bytes(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) throw DataError(path + ": cannot read the file");
  return bytes;
}

// The state dict inside the unpickled object: the object itself, or a dict entry holding it.
const Value& find_state_dict(const std::string& path, const Value& root) {
  if (root.kind != Value::Kind::Dict) throw DataError(path + ": the file holds no dict of tensors");
  bool all_tensors = !root.entries.empty();
  for (const auto& [k, v] : root.entries) all_tensors = all_tensors && v->kind == Value::Kind::Tensor;
  if (all_tensors) return root;
  for (const char* key : {"state_dict", "model", "model_state_dict"})
    for (const auto& [k, v] : root.entries)
      if (k->kind == Value::Kind::String && k->text == key && v->kind == Value::Kind::Dict) return find_state_dict(path, *v);
  throw DataError(path + ": not a state dict (no tensors at the top level, and no 'state_dict' or 'model' entry)");
}

at::Tensor materialise(const std::string& path, const std::string& name, const PendingTensor& t, const at::Tensor& storage) {
  if (t.size.size() != t.stride.size()) throw DataError(path + ": tensor '" + name + "' has a size and a stride of different ranks");
  for (size_t d = 0; d < t.size.size(); ++d)
    if (t.size[d] < 0 || t.stride[d] < 0) throw DataError(path + ": tensor '" + name + "' has a negative size or stride");
  if (t.offset < 0) throw DataError(path + ": tensor '" + name + "' has a negative storage offset");
  // An empty tensor holds nothing of its storage (whatever its other sizes, which may be anything).
  if (std::any_of(t.size.begin(), t.size.end(), [](int64_t s) { return s == 0; }))
    return at::empty(t.size, at::TensorOptions().dtype(storage.scalar_type()));
  // The highest element a non-empty view reaches must lie inside the storage; a file may declare sizes whose
  // product overflows, which counts as reaching past it.
  int64_t last = t.offset, reach = 0;
  bool overflow = false;
  for (size_t d = 0; d < t.size.size(); ++d)
    overflow = overflow || __builtin_mul_overflow(t.size[d] - 1, t.stride[d], &reach) || __builtin_add_overflow(last, reach, &last);
  if (overflow || last >= storage.numel())
    throw DataError(path + ": tensor '" + name + "' reaches past its storage");
  // A view with more elements than its storage (expanded or overlapping) would be copied out at that size: a few
  // bytes of file could ask for any amount of memory. A state dict's tensors never are such views.
  int64_t elements = 1;
  for (size_t d = 0; d < t.size.size(); ++d)
    if (__builtin_mul_overflow(elements, t.size[d], &elements) || elements > storage.numel())
      throw DataError(path + ": tensor '" + name + "' has more elements than its storage (an expanded or overlapping view)");
  // A tensor that is its whole storage, laid out contiguously, is the storage itself (no copy of 500 MB files).
  int64_t expected_stride = 1;
  bool whole = t.offset == 0;
  for (size_t d = t.size.size(); d-- > 0;) {
    if (t.size[d] != 1 && t.stride[d] != expected_stride) whole = false;
    expected_stride *= t.size[d];
  }
  if (whole && expected_stride == storage.numel()) return storage.view(t.size);
  return storage.as_strided(t.size, t.stride, t.offset).clone();
}

// torch >= 1.6: <archive>/data.pkl plus one record per storage, <archive>/data/<key>, read in place by LibTorch.
Ref read_zip(const std::string& path, std::map<std::string, at::Tensor>& storages) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::string pickle;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    const auto [data, size] = reader->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  } catch (const c10::Error& e) {
    throw DataError(path + ": not a readable torch.save zip archive (" + std::string(e.what_without_backtrace()) + ")");
  }
  Ref root = PickleMachine(path, pickle, 0).run();
  for (const auto& [k, v] : find_state_dict(path, *root).entries) {
    const auto& key = v->tensor.storage_key;
    if (storages.count(key)) continue;
    const std::string record = "data/" + key;
    if (!reader->hasRecord(record)) throw DataError(path + ": storage record " + record + " is missing");
    at::DataPtr data;
    size_t size = 0;
    try {
      std::tie(data, size) = reader->getRecord(record);
    } catch (const c10::Error& e) {
      throw DataError(path + ": storage record " + record + " does not read (" + std::string(e.what_without_backtrace()) + ")");
    }
    auto s = at::empty({static_cast<int64_t>(size / c10::elementSize(v->tensor.dtype))}, at::TensorOptions().dtype(v->tensor.dtype));
    // An empty storage has no data pointer, and memcpy may not be handed a null one even for 0 bytes.
    if (s.numel() > 0) std::memcpy(s.data_ptr(), data.get(), static_cast<size_t>(s.numel()) * c10::elementSize(v->tensor.dtype));
    storages[key] = s;
  }
  return root;
}

// Legacy (torch < 1.6): pickles of the magic number, the protocol version and sys_info, the object itself, the list
// of storage keys; then each storage as an int64 element count and its raw little-endian bytes.
Ref read_legacy(const std::string& path, const std::string& bytes, std::map<std::string, at::Tensor>& storages) {
  // The first pickle is the magic number 0x1950a86a20f9469cfc6c: PROTO 2, LONG1 of 10 bytes, the bytes.
  static const std::string kMagic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
  if (bytes.compare(0, kMagic.size(), kMagic) != 0)
    throw DataError(path + ": not a PyTorch weights file (neither a zip archive nor the legacy torch.save format)");
  size_t pos = 0;
  auto next_pickle = [&] {
    PickleMachine m(path, bytes, pos);
    Ref value = m.run();
    pos = m.position();
    return value;
  };
  next_pickle();  // magic number
  next_pickle();  // protocol version
  next_pickle();  // sys_info
  PickleMachine object(path, bytes, pos);
  Ref root = object.run();
  pos = object.position();
  const Ref keys = next_pickle();
  const auto& dtype_of = object.storage_dtypes();
  for (const auto& key : keys->items) {
    if (pos + 8 > bytes.size()) throw DataError(path + ": file ends before storage " + key->text);
    int64_t count = 0;
    std::memcpy(&count, bytes.data() + pos, 8);
    pos += 8;
    const auto dtype_it = dtype_of.find(key->text);
    if (dtype_it == dtype_of.end()) throw DataError(path + ": storage " + key->text + " is listed but never used");
    const auto dtype = dtype_it->second;
    // The declared count is checked against the bytes that are there before anything is allocated.
    if (count < 0 || static_cast<uint64_t>(count) > (bytes.size() - pos) / c10::elementSize(dtype))
      throw DataError(path + ": file ends inside storage " + key->text);
    const size_t n = static_cast<size_t>(count) * c10::elementSize(dtype);
    auto s = at::empty({count}, at::TensorOptions().dtype(dtype));
    if (n > 0) std::memcpy(s.data_ptr(), bytes.data() + pos, n);  // (an empty storage has no data pointer)
    pos += n;
    storages[key->text] = s;
  }
  return root;
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> read_state_dict(const std::string& path) {
  std::ifstream head(path, std::ios::binary);
  if (!head) throw DataError(path + ": weights file not found");
  char signature[4] = {};
  head.read(signature, 4);
  head.close();
  std::map<std::string, at::Tensor> storages;
  const Ref root = std::string(signature, 4) == std::string("PK\x03\x04", 4) ? read_zip(path, storages)
                                                                                : read_legacy(path, read_all(path), storages);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [k, v] : find_state_dict(path, *root).entries) {
    if (k->kind != Value::Kind::String) throw DataError(path + ": a state-dict key that is not a string");
    if (v->kind != Value::Kind::Tensor) throw DataError(path + ": '" + k->text + "' is not a tensor");
    const auto it = storages.find(v->tensor.storage_key);
    if (it == storages.end()) throw DataError(path + ": '" + k->text + "' refers to a storage the file does not hold");
    try {
      out.emplace_back(k->text, materialise(path, k->text, v->tensor, it->second));
    } catch (const c10::Error& e) {  // sizes LibTorch itself refuses (an empty tensor's other sizes overflowing, say)
      throw DataError(path + ": tensor '" + k->text + "' cannot be built: " + e.what_without_backtrace());
    }
  }
  return out;
}

}  // namespace ssd::interop
