-- wrk script of bench/serve_load.py: every request POSTs the image file named by SSD_BENCH_IMAGE to SSD_BENCH_PATH.
wrk.method = "POST"
wrk.path = os.getenv("SSD_BENCH_PATH") or "/detect"
wrk.headers["Content-Type"] = "image/jpeg"
local f = assert(io.open(os.getenv("SSD_BENCH_IMAGE"), "rb"))
wrk.body = f:read("*all")
f:close()
