// @bigface/native-cpu: oneDNN convolution / matmul kernels for tfjs's cpu backend, as a plain
// N-API addon. Every function works in place on the caller's Float32Arrays (tfjs's own backing
// stores, NHWC activations and HWIO filters): no copies except oneDNN's weight reorders.
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <cblas.h>
#include <omp.h>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loops.h"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// Thread safety: tfjs ranks run in worker threads of one process and each calls this addon from its
// own thread, concurrently (W worker-thread ranks = W callers). Everything mutable therefore lives in
// one ThreadState per calling thread (thread_local): the primitive caches, the reordered-weights
// buffers, the im2col scratch and the stream. A shared `static std::vector` scratch here was resized
// (freed) by one rank while another's OpenMP team still wrote into it: "double free or corruption"
// with W >= 2 (issue 16). The engine is immutable after creation and oneDNN documents it, the
// primitive cache and the (thread_local) library scratchpad as safe to use from several threads.
engine& cpuEngine() {
  static engine e(engine::kind::cpu, 0);
  return e;
}

struct Arg {
  float* data = nullptr;
  size_t length = 0;
};

#define NAPI_CHECK(call)                                              \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "NATIVE_CPU_NAPI", "N-API call failed");  \
      return nullptr;                                                 \
    }                                                                 \
  } while (0)

bool getFloat32(napi_env env, napi_value v, Arg* out, bool allowNull) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (allowNull && (t == napi_null || t == napi_undefined)) return true;
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped) return false;
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  out->data = static_cast<float*>(data);
  out->length = length;
  return true;
}

bool getInts(napi_env env, napi_value v, std::vector<int64_t>* out) {
  uint32_t n = 0;
  if (napi_get_array_length(env, v, &n) != napi_ok) return false;
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    double d;
    if (napi_get_element(env, v, i, &e) != napi_ok || napi_get_value_double(env, e, &d) != napi_ok) return false;
    (*out)[i] = static_cast<int64_t>(d);
  }
  return true;
}

std::vector<napi_value> getArgs(napi_env env, napi_callback_info info, size_t expected) {
  std::vector<napi_value> argv(expected);
  size_t argc = expected;
  napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr);
  if (argc < expected) argv.clear();
  return argv;
}

// An optional trailing number argument at `index` (a filter id), 0 when absent.
uint32_t optionalId(napi_env env, napi_callback_info info, size_t index) {
  std::vector<napi_value> argv(index + 1);
  size_t argc = index + 1;
  napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr);
  uint32_t value = 0;
  napi_valuetype type = napi_undefined;
  if (argc > index && napi_typeof(env, argv[index], &type) == napi_ok && type == napi_number) napi_get_value_uint32(env, argv[index], &value);
  return value;
}

// Convolution geometry, in the order the JS side passes it.
struct ConvGeometry {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  bool parse(const std::vector<int64_t>& p) {
    if (p.size() < 17) return false;
    n = p[0]; h = p[1]; w = p[2]; c = p[3]; kh = p[4]; kw = p[5]; o = p[6]; oh = p[7]; ow = p[8];
    sh = p[9]; sw = p[10]; dh = p[11]; dw = p[12]; pt = p[13]; pl = p[14]; pb = p[15]; pr = p[16];
    return true;
  }
  std::string key() const {
    char b[256];
    snprintf(b, sizeof b, "%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld", n, h, w, c, kh, kw, o, oh,
             ow, sh, sw, dh, dw, pt, pl, pb, pr);
    return b;
  }
  memory::desc src() const { return memory::desc({n, c, h, w}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({n, o, oh, ow}, dt::f32, tag::nhwc); }
  memory::desc weightsUser() const { return memory::desc({o, c, kh, kw}, dt::f32, tag::hwio); }
  memory::desc weightsAny() const { return memory::desc({o, c, kh, kw}, dt::f32, tag::any); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilations() const { return {dh - 1, dw - 1}; }
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
  memory::dims minimalPadR() const {
    // oneDNN wants (in - kernelExtent + padL + padR) / stride + 1 == out exactly in integer
    // arithmetic; the smallest right padding that gives `out` (tfjs's may be larger).
    int64_t eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
    return {(oh - 1) * sh + eh - h - pt, (ow - 1) * sw + ew - w - pl};
  }
  size_t srcSize() const { return size_t(n) * h * w * c; }
  size_t dstSize() const { return size_t(n) * oh * ow * o; }
  size_t weightsSize() const { return size_t(kh) * kw * c * o; }
};

struct ForwardEntry {
  convolution_forward::primitive_desc pd;
  convolution_forward prim;
  // The PReLU is applied after the convolution instead of as a post-op: with a PReLU post-op oneDNN
  // 2.6 picks its reference convolution for some shapes (seen: every 3×3 conv of the BN-folded r18,
  // ~30–100× slower than the jit kernel the same convolution gets without it).
  bool preluAfter = false;
};
struct BackwardDataEntry {
  convolution_backward_data::primitive_desc pd;
  convolution_backward_data prim;
};
struct BackwardWeightsEntry {
  convolution_backward_weights::primitive_desc pd;
  convolution_backward_weights prim;
};
struct MatmulEntry {
  matmul::primitive_desc pd;
  matmul prim;
};

// The mutable state of one calling thread (see the note on thread safety above).
struct ThreadState {
  stream cpuStream{cpuEngine()};
  // Convolutions and matmuls in bf16 (fp32 accumulation, fp32 outputs) on this thread: setPrecision.
  bool bf16 = false;
  std::map<std::string, std::shared_ptr<ForwardEntry>> forwardCache;
  std::map<std::string, std::shared_ptr<BackwardDataEntry>> backwardDataCache;
  std::map<std::string, std::shared_ptr<BackwardWeightsEntry>> backwardWeightsCache;
  std::map<std::string, std::shared_ptr<MatmulEntry>> matmulCache;
  // Operands reordered to a primitive's layout / bf16 are rebuilt on each call (filters change every
  // step), but their buffers are kept, one per (role, geometry).
  std::map<std::string, std::shared_ptr<memory>> scratch;
  // im2col columns of the filter gradient and of the im2col forward (grown, never shrunk).
  std::vector<float> columns;
  // Filters reordered once and kept (a model's filters at inference are the same arrays call after
  // call: re-reordering r240's 415 MB of filters cost ~20 % of a batch-1 forward). Keyed by slot and
  // the JS side's id of the filter array (one per immutable array, 0 = unknown: not kept). Kept from
  // the second call with the same id on (a training step uses each filter once per role), at most
  // weightsCacheCap bytes (stale entries evicted first); dropWeights(id) when the array is collected.
  struct CachedWeights {
    std::shared_ptr<memory> mem;
    size_t bytes;
    uint64_t lastUse;
    uint32_t id;
  };
  std::map<std::string, CachedWeights> weightsCache;
  std::set<std::string> weightsSeen;
  size_t weightsCacheBytes = 0;
  size_t weightsCacheCap = size_t(1) << 30;
  uint64_t weightsClock = 0;
};

ThreadState& threadState() {
  thread_local ThreadState state;
  return state;
}
stream& cpuStream() { return threadState().cpuStream; }
dt computeType() { return threadState().bf16 ? dt::bf16 : dt::f32; }

// This thread's scratch memory `slot` with descriptor `desc` (reallocated when the descriptor changes).
memory& scratchMemory(const std::string& slot, const memory::desc& desc) {
  auto& m = threadState().scratch[slot];
  if (!m || m->get_desc() != desc) m = std::make_shared<memory>(desc, cpuEngine());
  return *m;
}

// A caller's buffer (layout `user`) as the memory a primitive wants: itself when the layouts and
// types agree, else a reorder (layout and/or f32 → bf16) into this thread's scratch `slot`.
memory operand(const std::string& slot, const memory::desc& wanted, const memory::desc& user, float* data) {
  memory source(user, cpuEngine(), data);
  if (wanted == user) return source;
  memory& target = scratchMemory(slot, wanted);
  reorder(source, target).execute(cpuStream(), source, target);
  return target;
}

// The least recently used entry of this thread's filter cache (the cache is not empty).
std::map<std::string, ThreadState::CachedWeights>::iterator oldestWeights(ThreadState& t) {
  auto oldest = t.weightsCache.begin();
  for (auto it = t.weightsCache.begin(); it != t.weightsCache.end(); ++it)
    if (it->second.lastUse < oldest->second.lastUse) oldest = it;
  return oldest;
}

void eraseWeights(ThreadState& t, std::map<std::string, ThreadState::CachedWeights>::iterator entry) {
  t.weightsCacheBytes -= entry->second.bytes;
  t.weightsCache.erase(entry);
}

// A filter as the memory a primitive wants, from this thread's cache of reordered filters when `id`
// names an immutable array seen before (see ThreadState::weightsCache), else like operand().
memory weightsOperand(const std::string& slot, const memory::desc& wanted, const memory::desc& user, float* data, uint32_t id) {
  if (id == 0 || wanted == user) return operand(slot, wanted, user, data);
  ThreadState& t = threadState();
  const uint64_t now = ++t.weightsClock;  // ticks on every filter operand, kept or not
  const std::string key = slot + "#" + std::to_string(id);
  auto hit = t.weightsCache.find(key);
  if (hit != t.weightsCache.end()) {
    hit->second.lastUse = now;
    return *hit->second.mem;
  }
  const size_t bytes = wanted.get_size();
  if (t.weightsSeen.insert(key).second || bytes > t.weightsCacheCap) {
    if (t.weightsSeen.size() > 65536) t.weightsSeen.clear();  // training: a new id every step
    return operand(slot, wanted, user, data);
  }
  // Full: evict only entries unused for a while (> 2 × entries ticks: not in the working set); a
  // model whose filters exceed the cap keeps the part that fits instead of evicting in a cycle.
  while (t.weightsCacheBytes + bytes > t.weightsCacheCap && !t.weightsCache.empty()) {
    auto oldest = oldestWeights(t);
    if (now - oldest->second.lastUse <= 2 * t.weightsCache.size()) return operand(slot, wanted, user, data);
    eraseWeights(t, oldest);
  }
  auto kept = std::make_shared<memory>(wanted, cpuEngine());
  memory source(user, cpuEngine(), data);
  reorder(source, *kept).execute(cpuStream(), source, *kept);
  t.weightsCache[key] = ThreadState::CachedWeights{kept, bytes, now, id};
  t.weightsCacheBytes += bytes;
  return *kept;
}

// What follows a convolution in one pass (oneDNN post-ops): PReLU (per output channel or one slope),
// or the addition of a residual shaped like the output (not both: the sum post-op must come first).
struct ConvPostOps {
  int prelu = 0;  // 0 none, 1 per channel, 2 scalar
  bool residual = false;
  std::string key() const { return std::string("p") + char('0' + prelu) + (residual ? "r" : ""); }
};

convolution_forward::primitive_desc forwardDesc(const ConvGeometry& g, bool bias, prop_kind kind, dt type, const ConvPostOps& post) {
  memory::desc biasDesc = bias ? memory::desc({g.o}, dt::f32, tag::x) : memory::desc();
  const bool f32 = type == dt::f32;
  memory::desc src = f32 ? g.src() : memory::desc({g.n, g.c, g.h, g.w}, type, tag::any);
  memory::desc weights({g.o, g.c, g.kh, g.kw}, type, tag::any);
  // Training keeps the f32 NHWC output tfjs stores; a bf16 forward pass writes f32 too.
  auto d = convolution_forward::desc(kind, algorithm::convolution_direct, src, weights, biasDesc, g.dst(), g.strides(), g.dilations(),
                                     g.padL(), g.padR());
  post_ops ops;
  if (post.prelu && post.residual) throw dnnl::error(dnnl_invalid_arguments, "a residual and a PReLU post-op together are not supported");
  if (post.prelu) ops.append_prelu(post.prelu == 1 ? 1 << 1 : 0);
  // The residual arrives through the destination (copied there first) and a sum post-op: oneDNN 2.6's
  // gemm convolution applies a full-tensor binary_add post-op per channel only (wrong results).
  if (post.residual) ops.append_sum(1.f);
  primitive_attr attr;
  attr.set_post_ops(ops);
  return convolution_forward::primitive_desc(d, attr, cpuEngine());
}

/** The forward descriptor backward passes take as their hint (training, no post-ops). */
convolution_forward::primitive_desc trainingHint(const ConvGeometry& g, dt type) {
  return forwardDesc(g, false, prop_kind::forward_training, type, ConvPostOps{});
}

std::string implName(const primitive_desc_base& pd) { return pd.impl_info_str(); }

napi_value implResult(napi_env env, const primitive_desc_base& pd) {
  napi_value r;
  std::string name = implName(pd);
  napi_create_string_utf8(env, name.c_str(), name.size(), &r);
  return r;
}

// conv2dForward(x, filter, bias|null, y, geometry[17], alpha|null?, residual|null?) -> impl name.
// alpha: PReLU slopes after the bias (one per output channel, or one), residual: added last (shaped like y).
napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  std::vector<napi_value> a(8);
  size_t argc = 8;
  napi_get_cb_info(env, info, &argc, a.data(), nullptr, nullptr);
  Arg x, w, b, y, alpha, residual;
  const uint32_t weightsId = optionalId(env, info, 7);
  std::vector<int64_t> p;
  ConvGeometry g;
  if (argc < 5 || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &w, false) || !getFloat32(env, a[2], &b, true) ||
      !getFloat32(env, a[3], &y, false) || !getInts(env, a[4], &p) || !g.parse(p) || (argc > 5 && !getFloat32(env, a[5], &alpha, true)) ||
      (argc > 6 && !getFloat32(env, a[6], &residual, true)) || x.length < g.srcSize() || w.length < g.weightsSize() ||
      y.length < g.dstSize() || (b.data && b.length < size_t(g.o)) || (alpha.data && alpha.length != size_t(g.o) && alpha.length != 1) ||
      (residual.data && residual.length < g.dstSize())) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "conv2dForward(x, filter, bias|null, y, geometry, alpha|null, residual|null): bad arguments");
    return nullptr;
  }
  try {
    ConvPostOps post;
    post.prelu = !alpha.data ? 0 : alpha.length == size_t(g.o) && g.o != 1 ? 1 : 2;
    post.residual = residual.data != nullptr;
    const dt type = computeType();
    std::string key = g.key() + (b.data ? "b" : "") + post.key() + (type == dt::bf16 ? "h" : "");
    auto& e = threadState().forwardCache[key];
    if (!e) {
      auto pd = forwardDesc(g, b.data != nullptr, prop_kind::forward_inference, type, post);
      bool preluAfter = false;
      if (post.prelu && implName(pd).rfind("ref", 0) == 0) {
        ConvPostOps plain = post;
        plain.prelu = 0;
        auto without = forwardDesc(g, b.data != nullptr, prop_kind::forward_inference, type, plain);
        if (implName(without).rfind("ref", 0) != 0) {
          pd = without;
          preluAfter = true;
        }
      }
      e = std::make_shared<ForwardEntry>(ForwardEntry{pd, convolution_forward(pd), preluAfter});
    }
    memory src = operand("fs" + key, e->pd.src_desc(), g.src(), x.data);
    memory weights = weightsOperand("fw" + key, e->pd.weights_desc(), g.weightsUser(), w.data, weightsId);
    memory dst(g.dst(), cpuEngine(), y.data);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    if (b.data) args.insert({DNNL_ARG_BIAS, memory(memory::desc({g.o}, dt::f32, tag::x), cpuEngine(), b.data)});
    int index = 0;
    if (post.prelu && !e->preluAfter) {
      memory::desc slopes = post.prelu == 1 ? memory::desc({1, g.o, 1, 1}, dt::f32, tag::nchw) : memory::desc({1, 1, 1, 1}, dt::f32, tag::nchw);
      args.insert({DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_WEIGHTS, memory(slopes, cpuEngine(), alpha.data)});
      index++;
    }
    if (post.residual) std::memcpy(y.data, residual.data, sizeof(float) * g.dstSize());
    e->prim.execute(cpuStream(), args);
    cpuStream().wait();
    if (post.prelu && e->preluAfter) {
      // y is NHWC: channel = index mod o.
      const int64_t rows = g.dstSize() / g.o, channels = g.o;
      const bool perChannel = post.prelu == 1;
      float* out = y.data;
      const float* slopes = alpha.data;
      loops::forRows(rows, true, [&](int64_t r0, int64_t r1, int) { loops::prelu(out, slopes, perChannel, out, r0, r1, channels); });
    }
    return implResult(env, e->pd);
  } catch (const dnnl::error& err) {
    napi_throw_error(env, "NATIVE_CPU_ONEDNN", (std::string(err.what()) + " [geometry " + g.key() + "]").c_str());
    return nullptr;
  }
}

// depthwiseConv2dForward(x, filter, y, geometry[17], multiplier) -> impl name: tfjs's depthwise
// convolution (filter [KH, KW, C, M], y with C·M channels, channel c·M + m) as a oneDNN grouped
// convolution with C groups; the geometry's `o` is C·M. fp32.
napi_value DepthwiseConv2dForward(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 5);
  const uint32_t weightsId = optionalId(env, info, 5);
  Arg x, w, y;
  std::vector<int64_t> p;
  ConvGeometry g;
  int32_t multiplier = 0;
  if (a.empty() || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &w, false) || !getFloat32(env, a[2], &y, false) ||
      !getInts(env, a[3], &p) || !g.parse(p) || napi_get_value_int32(env, a[4], &multiplier) != napi_ok || multiplier < 1 ||
      g.o != g.c * multiplier || x.length < g.srcSize() || w.length < g.weightsSize() / g.c || y.length < g.dstSize()) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "depthwiseConv2dForward(x, filter, y, geometry, multiplier): bad arguments");
    return nullptr;
  }
  try {
    const int64_t G = g.c, M = multiplier;
    // tfjs's filter index ((kh·KW + kw)·C + c)·M + m as oneDNN's {groups, oc/g, ic/g, kh, kw} by strides.
    memory::desc userWeights({G, M, 1, g.kh, g.kw}, dt::f32, memory::dims{M, 1, M, g.kw * G * M, G * M});
    std::string key = g.key() + "dw";
    auto& e = threadState().forwardCache[key];
    if (!e) {
      auto d = convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct, g.src(),
                                         memory::desc({G, M, 1, g.kh, g.kw}, dt::f32, tag::any), memory::desc(), g.dst(), g.strides(),
                                         g.dilations(), g.padL(), g.padR());
      auto pd = convolution_forward::primitive_desc(d, cpuEngine());
      e = std::make_shared<ForwardEntry>(ForwardEntry{pd, convolution_forward(pd)});
    }
    memory weights = weightsOperand("dww" + key, e->pd.weights_desc(), userWeights, w.data, weightsId);
    memory src(g.src(), cpuEngine(), x.data), dst(g.dst(), cpuEngine(), y.data);
    e->prim.execute(cpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    cpuStream().wait();
    return implResult(env, e->pd);
  } catch (const dnnl::error& err) {
    napi_throw_error(env, "NATIVE_CPU_ONEDNN", (std::string(err.what()) + " [depthwise geometry " + g.key() + "]").c_str());
    return nullptr;
  }
}

// conv2dBackwardData(dy, filter, dx, geometry[17])
napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 4);
  const uint32_t weightsId = optionalId(env, info, 4);
  Arg dy, w, dx;
  std::vector<int64_t> p;
  ConvGeometry g;
  if (a.empty() || !getFloat32(env, a[0], &dy, false) || !getFloat32(env, a[1], &w, false) ||
      !getFloat32(env, a[2], &dx, false) || !getInts(env, a[3], &p) || !g.parse(p) || dy.length < g.dstSize() ||
      w.length < g.weightsSize() || dx.length < g.srcSize()) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "conv2dBackwardData(dy, filter, dx, geometry): bad arguments");
    return nullptr;
  }
  try {
    const dt type = computeType();
    std::string key = g.key() + (type == dt::bf16 ? "h" : "");
    auto& e = threadState().backwardDataCache[key];
    if (!e) {
      const bool f32 = type == dt::f32;
      memory::desc diffDst = f32 ? g.dst() : memory::desc({g.n, g.o, g.oh, g.ow}, type, tag::any);
      // bf16: oneDNN 2.6's optimised bf16 backward-data kernels write a bf16 diff_src (with an f32
      // diff_src it falls back to the reference implementation, ~10× slower); it is widened after.
      memory::desc diffSrc = f32 ? g.src() : memory::desc({g.n, g.c, g.h, g.w}, type, tag::any);
      auto d = convolution_backward_data::desc(algorithm::convolution_direct, diffSrc, memory::desc({g.o, g.c, g.kh, g.kw}, type, tag::any),
                                               diffDst, g.strides(), g.dilations(), g.padL(), g.padR());
      auto pd = convolution_backward_data::primitive_desc(d, cpuEngine(), trainingHint(g, type));
      e = std::make_shared<BackwardDataEntry>(BackwardDataEntry{pd, convolution_backward_data(pd)});
    }
    memory diffDst = operand("dd" + key, e->pd.diff_dst_desc(), g.dst(), dy.data);
    memory weights = weightsOperand("dw" + key, e->pd.weights_desc(), g.weightsUser(), w.data, weightsId);
    memory user(g.src(), cpuEngine(), dx.data);
    const bool direct = e->pd.diff_src_desc() == g.src();
    memory diffSrc = direct ? user : scratchMemory("dx" + key, e->pd.diff_src_desc());
    e->prim.execute(cpuStream(), {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    if (!direct) reorder(diffSrc, user).execute(cpuStream(), diffSrc, user);
    cpuStream().wait();
    return implResult(env, e->pd);
  } catch (const dnnl::error& err) {
    napi_throw_error(env, "NATIVE_CPU_ONEDNN", (std::string(err.what()) + " [geometry " + g.key() + "]").c_str());
    return nullptr;
  }
}

// conv2dBackwardWeights(x, dy, dw, geometry[17]) -> impl name: dw (HWIO, f32) through oneDNN's
// backward-weights primitive (bf16 operands under setPrecision('bf16'), f32 accumulation and result).
napi_value Conv2dBackwardWeights(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 4);
  Arg x, dy, dw;
  std::vector<int64_t> p;
  ConvGeometry g;
  if (a.empty() || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &dy, false) ||
      !getFloat32(env, a[2], &dw, false) || !getInts(env, a[3], &p) || !g.parse(p) || x.length < g.srcSize() ||
      dy.length < g.dstSize() || dw.length < g.weightsSize()) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "conv2dBackwardWeights(x, dy, dw, geometry): bad arguments");
    return nullptr;
  }
  try {
    const dt type = computeType();
    std::string key = g.key() + (type == dt::bf16 ? "h" : "");
    auto& e = threadState().backwardWeightsCache[key];
    if (!e) {
      const bool f32 = type == dt::f32;
      memory::desc src = f32 ? g.src() : memory::desc({g.n, g.c, g.h, g.w}, type, tag::any);
      memory::desc diffDst = f32 ? g.dst() : memory::desc({g.n, g.o, g.oh, g.ow}, type, tag::any);
      auto d = convolution_backward_weights::desc(algorithm::convolution_direct, src, g.weightsAny(), diffDst, g.strides(), g.dilations(),
                                                  g.padL(), g.padR());
      auto pd = convolution_backward_weights::primitive_desc(d, cpuEngine(), trainingHint(g, type));
      e = std::make_shared<BackwardWeightsEntry>(BackwardWeightsEntry{pd, convolution_backward_weights(pd)});
    }
    memory src = operand("ws" + key, e->pd.src_desc(), g.src(), x.data);
    memory diffDst = operand("wd" + key, e->pd.diff_dst_desc(), g.dst(), dy.data);
    memory user(g.weightsUser(), cpuEngine(), dw.data);
    const bool direct = e->pd.diff_weights_desc() == g.weightsUser();
    memory target = direct ? user : scratchMemory("ww" + key, e->pd.diff_weights_desc());
    e->prim.execute(cpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, target}});
    if (!direct) reorder(target, user).execute(cpuStream(), target, user);
    cpuStream().wait();
    return implResult(env, e->pd);
  } catch (const dnnl::error& err) {
    napi_throw_error(env, "NATIVE_CPU_ONEDNN", (std::string(err.what()) + " [geometry " + g.key() + "]").c_str());
    return nullptr;
  }
}

void im2col(const ConvGeometry& g, const float* x, float* col) {
  const int64_t rows = g.n * g.oh * g.ow, cols = g.kh * g.kw * g.c;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t b = r / (g.oh * g.ow), rest = r % (g.oh * g.ow), oy = rest / g.ow, ox = rest % g.ow;
    float* out = col + r * cols;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      for (int64_t kx = 0; kx < g.kw; kx++, out += g.c) {
        int64_t ix = ox * g.sw - g.pl + kx * g.dw;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
          std::memset(out, 0, sizeof(float) * g.c);
        } else {
          std::memcpy(out, x + ((b * g.h + iy) * g.w + ix) * g.c, sizeof(float) * g.c);
        }
      }
    }
  }
}

// conv2dBackwardWeightsGemm(x, dy, dw, geometry[17]): dw[KH*KW*C, O] = im2col(x)^T x dy, in chunks of
// output rows (bounded scratch). Used instead of oneDNN's backward-weights primitive, which corrupted
// the heap on small shapes with this oneDNN build (2.6.3).
napi_value Conv2dBackwardWeightsGemm(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 4);
  Arg x, dy, dw;
  std::vector<int64_t> p;
  ConvGeometry g;
  if (a.empty() || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &dy, false) ||
      !getFloat32(env, a[2], &dw, false) || !getInts(env, a[3], &p) || !g.parse(p) || x.length < g.srcSize() ||
      dy.length < g.dstSize() || dw.length < g.weightsSize()) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "conv2dBackwardWeightsGemm(x, dy, dw, geometry): bad arguments");
    return nullptr;
  }
  const int64_t cols = g.kh * g.kw * g.c;
  const int64_t perImage = g.oh * g.ow;
  // Whole images per chunk, at most ~64 MB of columns.
  int64_t imagesPerChunk = std::max<int64_t>(1, (int64_t(16) << 20) / std::max<int64_t>(1, perImage * cols));
  std::vector<float>& columns = threadState().columns;
  for (int64_t start = 0; start < g.n; start += imagesPerChunk) {
    ConvGeometry chunk = g;
    chunk.n = std::min(imagesPerChunk, g.n - start);
    const int64_t rows = chunk.n * perImage;
    columns.resize(size_t(rows * cols));
    im2col(chunk, x.data + start * g.h * g.w * g.c, columns.data());
    dnnl_status_t s = dnnl_sgemm('T', 'N', cols, g.o, rows, 1.f, columns.data(), cols, dy.data + start * perImage * g.o,
                                 g.o, start == 0 ? 0.f : 1.f, dw.data, g.o);
    if (s != dnnl_success) {
      napi_throw_error(env, "NATIVE_CPU_ONEDNN", "dnnl_sgemm failed");
      return nullptr;
    }
  }
  napi_value r;
  napi_create_string_utf8(env, "im2col+sgemm", NAPI_AUTO_LENGTH, &r);
  return r;
}

// conv2dForwardIm2col(x, filter, y, geometry[17]): the OpenBLAS alternative (im2col + sgemm), for the benchmark.
napi_value Conv2dForwardIm2col(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 4);
  Arg x, w, y;
  std::vector<int64_t> p;
  ConvGeometry g;
  if (a.empty() || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &w, false) ||
      !getFloat32(env, a[2], &y, false) || !getInts(env, a[3], &p) || !g.parse(p) || x.length < g.srcSize() ||
      w.length < g.weightsSize() || y.length < g.dstSize()) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "conv2dForwardIm2col(x, filter, y, geometry): bad arguments");
    return nullptr;
  }
  const int64_t rows = g.n * g.oh * g.ow, cols = g.kh * g.kw * g.c;
  std::vector<float>& columns = threadState().columns;
  columns.resize(size_t(rows) * cols);
  float* col = columns.data();
#pragma omp parallel for
  for (int64_t r = 0; r < rows; r++) {
    int64_t b = r / (g.oh * g.ow), rest = r % (g.oh * g.ow), oy = rest / g.ow, ox = rest % g.ow;
    float* out = col + r * cols;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      for (int64_t kx = 0; kx < g.kw; kx++, out += g.c) {
        int64_t ix = ox * g.sw - g.pl + kx * g.dw;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
          std::memset(out, 0, sizeof(float) * g.c);
        } else {
          std::memcpy(out, x.data + ((b * g.h + iy) * g.w + ix) * g.c, sizeof(float) * g.c);
        }
      }
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, g.o, cols, 1.f, col, cols, w.data, g.o, 0.f, y.data, g.o);
  return nullptr;
}

// matmul(a, b, c, [batchA, batchB, m, k, n, transposeA, transposeB]): c[i] = op(a[i or 0]) x op(b[i or 0]).
napi_value Matmul(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 4);
  Arg a, b, c;
  std::vector<int64_t> p;
  if (args.empty() || !getFloat32(env, args[0], &a, false) || !getFloat32(env, args[1], &b, false) ||
      !getFloat32(env, args[2], &c, false) || !getInts(env, args[3], &p) || p.size() < 7) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "matmul(a, b, c, params): bad arguments");
    return nullptr;
  }
  int64_t batchA = p[0], batchB = p[1], m = p[2], k = p[3], n = p[4];
  bool ta = p[5] != 0, tb = p[6] != 0;
  int64_t batch = std::max(batchA, batchB);
  if ((batchA != batch && batchA != 1) || (batchB != batch && batchB != 1) || a.length < size_t(batchA * m * k) ||
      b.length < size_t(batchB * k * n) || c.length < size_t(batch * m * n)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "matmul: sizes do not match");
    return nullptr;
  }
  if (computeType() == dt::bf16) {
    // bf16 operands, f32 accumulation and result: oneDNN's matmul primitive (sgemm has no bf16 form).
    try {
      std::string key = std::to_string(batchA) + "," + std::to_string(batchB) + "," + std::to_string(m) + "," + std::to_string(k) + "," +
                        std::to_string(n) + (ta ? "T" : "N") + (tb ? "T" : "N");
      // The callers' row-major layouts, transposes as strides.
      memory::desc userA({batchA, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
      memory::desc userB({batchB, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
      memory::desc userC({batch, m, n}, dt::f32, tag::abc);
      auto& e = threadState().matmulCache[key];
      if (!e) {
        auto d = matmul::desc(memory::desc({batchA, m, k}, dt::bf16, tag::any), memory::desc({batchB, k, n}, dt::bf16, tag::any), userC);
        auto pd = matmul::primitive_desc(d, cpuEngine());
        e = std::make_shared<MatmulEntry>(MatmulEntry{pd, matmul(pd)});
      }
      memory srcA = operand("ma" + key, e->pd.src_desc(), userA, a.data);
      memory srcB = operand("mb" + key, e->pd.weights_desc(), userB, b.data);
      memory dst(userC, cpuEngine(), c.data);
      e->prim.execute(cpuStream(), {{DNNL_ARG_SRC, srcA}, {DNNL_ARG_WEIGHTS, srcB}, {DNNL_ARG_DST, dst}});
      cpuStream().wait();
    } catch (const dnnl::error& err) {
      napi_throw_error(env, "NATIVE_CPU_ONEDNN", (std::string("bf16 matmul: ") + err.what()).c_str());
    }
    return nullptr;
  }
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a.data + (batchA == 1 ? 0 : i) * m * k;
    const float* bi = b.data + (batchB == 1 ? 0 : i) * k * n;
    dnnl_status_t s = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, ai, ta ? m : k, bi, tb ? k : n, 0.f,
                                 c.data + i * m * n, n);
    if (s != dnnl_success) {
      napi_throw_error(env, "NATIVE_CPU_ONEDNN", "dnnl_sgemm failed");
      return nullptr;
    }
  }
  return nullptr;
}

// biasActivation(y, channels, bias|null, activation, alpha|null, leakyAlpha):
// y = act(y + bias[c]); activation 0 linear, 1 relu, 2 relu6, 3 prelu, 4 leakyrelu, 5 elu, 6 sigmoid.
// prelu's alpha has `channels` entries (per channel), 1 (scalar) or y.length (elementwise).
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 6);
  Arg y, bias, alpha;
  int32_t channels = 0, activation = 0;
  double leaky = 0;
  if (a.empty() || !getFloat32(env, a[0], &y, false) || napi_get_value_int32(env, a[1], &channels) != napi_ok ||
      !getFloat32(env, a[2], &bias, true) || napi_get_value_int32(env, a[3], &activation) != napi_ok ||
      !getFloat32(env, a[4], &alpha, true) || napi_get_value_double(env, a[5], &leaky) != napi_ok || channels <= 0 ||
      y.length % channels != 0 || (bias.data && bias.length != size_t(channels) && bias.length != 1) ||
      (activation == 3 && (!alpha.data || (alpha.length != size_t(channels) && alpha.length != 1 && alpha.length != y.length)))) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "biasActivation: bad arguments");
    return nullptr;
  }
  const int64_t rows = y.length / channels;
  float* d = y.data;
  const float* bb = bias.data;
  const bool biasScalar = bias.length == 1;
  const float* al = alpha.data;
  const int alphaMode = !al ? 0 : alpha.length == y.length ? 2 : alpha.length == 1 ? 0 : 1;
  const float lk = float(leaky);
#pragma omp parallel for schedule(static) if (y.length > 32768)
  for (int64_t r = 0; r < rows; r++) {
    float* row = d + r * channels;
    for (int32_t j = 0; j < channels; j++) {
      float v = row[j];
      if (bb) v += biasScalar ? bb[0] : bb[j];
      switch (activation) {
        case 1: v = v > 0 ? v : 0; break;
        case 2: v = v < 0 ? 0 : (v > 6 ? 6 : v); break;
        case 3: {
          float s = alphaMode == 1 ? al[j] : alphaMode == 2 ? al[r * channels + j] : al[0];
          v = v < 0 ? v * s : v;
          break;
        }
        case 4: v = v < 0 ? v * lk : v; break;
        case 5: v = v > 0 ? v : std::expm1(v); break;
        case 6: v = 1.f / (1.f + std::exp(-v)); break;
        default: break;
      }
      row[j] = v;
    }
  }
  return nullptr;
}

// binary(op, a, aMode, b, bMode, out, channels): out = a op b, each operand full (mode 0, out.length
// values), per channel (mode 1, `channels` values along the last axis), scalar (mode 2) or per row
// (mode 3, out.length / channels values: one for each row of `channels`).
// op 0 add, 1 sub, 2 mul, 3 div.
napi_value Binary(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 7);
  Arg a, b, out;
  int32_t op = 0, aMode = 0, bMode = 0, channels = 0;
  if (args.empty() || napi_get_value_int32(env, args[0], &op) != napi_ok || !getFloat32(env, args[1], &a, false) ||
      napi_get_value_int32(env, args[2], &aMode) != napi_ok || !getFloat32(env, args[3], &b, false) ||
      napi_get_value_int32(env, args[4], &bMode) != napi_ok || !getFloat32(env, args[5], &out, false) ||
      napi_get_value_int32(env, args[6], &channels) != napi_ok || channels <= 0 || out.length % channels != 0) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "binary: bad arguments");
    return nullptr;
  }
  auto need = [&](int mode) {
    return mode == 0 ? out.length : mode == 1 ? size_t(channels) : mode == 3 ? out.length / size_t(channels) : size_t(1);
  };
  if (aMode < 0 || aMode > 3 || bMode < 0 || bMode > 3 || a.length < need(aMode) || b.length < need(bMode) || op < 0 || op > 3) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "binary: operand sizes do not match");
    return nullptr;
  }
  const int64_t rows = out.length / channels;
  loops::forRows(rows, out.length > 65536,
                 [&](int64_t r0, int64_t r1, int) { loops::binary(op, a.data, aMode, b.data, bMode, out.data, r0, r1, channels); });
  return nullptr;
}

// reduce(x, rows, cols, out, overRows, mean): x is [rows, cols]; out[cols] (overRows) or out[rows] sums/means.
napi_value Reduce(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 6);
  Arg x, out;
  int64_t rows = 0, cols = 0;
  bool overRows = false, mean = false;
  if (args.empty() || !getFloat32(env, args[0], &x, false) || napi_get_value_int64(env, args[1], &rows) != napi_ok ||
      napi_get_value_int64(env, args[2], &cols) != napi_ok || !getFloat32(env, args[3], &out, false) ||
      napi_get_value_bool(env, args[4], &overRows) != napi_ok || napi_get_value_bool(env, args[5], &mean) != napi_ok ||
      rows < 1 || cols < 1 || x.length < size_t(rows * cols) || out.length < size_t(overRows ? cols : rows)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "reduce: bad arguments");
    return nullptr;
  }
  const float* px = x.data;
  if (overRows) {
    std::vector<double> sums;
    loops::channelSums(rows, cols, 1, sums, x.length > 65536,
                       [&](int64_t r0, int64_t r1, double* acc) { loops::columnSums(px, acc, r0, r1, cols); });
    const double scale = mean ? 1.0 / double(rows) : 1.0;
    for (int64_t j = 0; j < cols; j++) out.data[j] = float(sums[j] * scale);
  } else {
    const double scale = mean ? 1.0 / double(cols) : 1.0;
#pragma omp parallel for schedule(static) if (x.length > 65536)
    for (int64_t r = 0; r < rows; r++) {
      const float* row = px + r * cols;
      double s = 0;
      for (int64_t j = 0; j < cols; j++) s += row[j];
      out.data[r] = float(s * scale);
    }
  }
  return nullptr;
}

// unary(op, x, out, channels, alpha|null, alphaMode): op 0 square, 1 prelu (alpha per channel, mode 1, or scalar, mode 2),
// 2 clip to [alpha[0], alpha[1]] (ClipByValue, Relu, Relu6).
napi_value Unary(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 6);
  Arg x, out, alpha;
  int32_t op = 0, channels = 0, alphaMode = 0;
  if (args.empty() || napi_get_value_int32(env, args[0], &op) != napi_ok || !getFloat32(env, args[1], &x, false) ||
      !getFloat32(env, args[2], &out, false) || napi_get_value_int32(env, args[3], &channels) != napi_ok ||
      !getFloat32(env, args[4], &alpha, true) || napi_get_value_int32(env, args[5], &alphaMode) != napi_ok ||
      channels <= 0 || x.length % channels != 0 || out.length < x.length ||
      (op == 1 && (!alpha.data || alpha.length < (alphaMode == 1 ? size_t(channels) : size_t(1)))) ||
      (op == 2 && (!alpha.data || alpha.length < 2)) || op < 0 || op > 2) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "unary: bad arguments");
    return nullptr;
  }
  const int64_t rows = x.length / channels;
  const float *px = x.data, *pa = alpha.data;
  float* po = out.data;
  loops::forRows(rows, x.length > 65536, [&](int64_t r0, int64_t r1, int) {
    if (op == 0) loops::square(px, po, r0 * channels, r1 * channels);
    else if (op == 2) loops::clip(px, pa[0], pa[1], po, r0 * channels, r1 * channels);
    else loops::prelu(px, pa, alphaMode == 1, po, r0, r1, channels);
  });
  return nullptr;
}

bool getUint8(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped) return false;
  napi_typedarray_type type;
  void* raw;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, &raw, &ab, &offset) != napi_ok || type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(raw);
  return true;
}

// greater(a, aMode, b, bMode, out Uint8Array, channels): out = a > b (modes as in binary).
napi_value Greater(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 6);
  Arg a, b;
  uint8_t* out = nullptr;
  size_t outLength = 0;
  int32_t aMode = 0, bMode = 0, channels = 0;
  if (args.empty() || !getFloat32(env, args[0], &a, false) || napi_get_value_int32(env, args[1], &aMode) != napi_ok ||
      !getFloat32(env, args[2], &b, false) || napi_get_value_int32(env, args[3], &bMode) != napi_ok ||
      !getUint8(env, args[4], &out, &outLength) || napi_get_value_int32(env, args[5], &channels) != napi_ok ||
      channels <= 0 || outLength % channels != 0) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "greater: bad arguments");
    return nullptr;
  }
  auto need = [&](int mode) { return mode == 0 ? outLength : mode == 1 ? size_t(channels) : size_t(1); };
  if (a.length < need(aMode) || b.length < need(bMode)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "greater: operand sizes do not match");
    return nullptr;
  }
  const int64_t rows = outLength / channels;
  loops::forRows(rows, outLength > 65536, [&](int64_t r0, int64_t r1, int) { loops::greater(a.data, aMode, b.data, bMode, out, r0, r1, channels); });
  return nullptr;
}

// select(condition Uint8Array, t, e, out): out = condition ? t : e, all the same length.
napi_value Select(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 4);
  Arg t, e, out;
  uint8_t* c = nullptr;
  size_t cLength = 0;
  if (args.empty() || !getUint8(env, args[0], &c, &cLength) || !getFloat32(env, args[1], &t, false) ||
      !getFloat32(env, args[2], &e, false) || !getFloat32(env, args[3], &out, false) || t.length < out.length ||
      e.length < out.length || cLength < out.length) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "select: bad arguments");
    return nullptr;
  }
  const int64_t n = int64_t(out.length);
  loops::forRows(n, n > 65536, [&](int64_t i0, int64_t i1, int) { loops::select(c, t.data, e.data, out.data, i0, i1); });
  return nullptr;
}

// scaleShift(x, scale, shift, out, channels): out = x * scale[c] + shift[c] (inference BatchNorm).
napi_value ScaleShift(napi_env env, napi_callback_info info) {
  auto args = getArgs(env, info, 5);
  Arg x, scale, shift, out;
  int32_t channels = 0;
  if (args.empty() || !getFloat32(env, args[0], &x, false) || !getFloat32(env, args[1], &scale, false) ||
      !getFloat32(env, args[2], &shift, false) || !getFloat32(env, args[3], &out, false) ||
      napi_get_value_int32(env, args[4], &channels) != napi_ok || channels <= 0 || x.length % channels != 0 ||
      out.length < x.length || scale.length < size_t(channels) || shift.length < size_t(channels)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "scaleShift: bad arguments");
    return nullptr;
  }
  const int64_t rows = x.length / channels;
  loops::forRows(rows, x.length > 65536,
                 [&](int64_t r0, int64_t r1, int) { loops::scaleShift(x.data, scale.data, shift.data, out.data, r0, r1, channels); });
  return nullptr;
}

// batchNormTrainingForward(x, gamma, beta, y, mean, variance, channels, epsilon): training-mode
// BatchNorm over every axis but the last (NHWC), in two passes over x: per-channel mean and biased
// variance (double sums of x and x², one pass), then y = x·scale + shift with scale = γ/√(var+ε),
// shift = β − mean·scale. mean and variance (channels values each) are outputs.
napi_value BatchNormTrainingForward(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 8);
  Arg x, gamma, beta, y, mean, variance;
  int32_t channels = 0;
  double epsilon = 0;
  if (a.empty() || !getFloat32(env, a[0], &x, false) || !getFloat32(env, a[1], &gamma, false) || !getFloat32(env, a[2], &beta, false) ||
      !getFloat32(env, a[3], &y, false) || !getFloat32(env, a[4], &mean, false) || !getFloat32(env, a[5], &variance, false) ||
      napi_get_value_int32(env, a[6], &channels) != napi_ok || napi_get_value_double(env, a[7], &epsilon) != napi_ok || channels <= 0 ||
      x.length % channels != 0 || x.length == 0 || y.length < x.length || gamma.length < size_t(channels) || beta.length < size_t(channels) ||
      mean.length < size_t(channels) || variance.length < size_t(channels)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "batchNormTrainingForward: bad arguments");
    return nullptr;
  }
  const int64_t C = channels, rows = int64_t(x.length) / C;
  const float* px = x.data;
  std::vector<double> sums;
  loops::channelSums(rows, C, 2, sums, x.length > 32768,
                     [&](int64_t r0, int64_t r1, double* acc) { loops::sumAndSquares(px, acc, acc + C, r0, r1, C); });
  std::vector<float> scale(C), shift(C);
  for (int64_t c = 0; c < C; c++) {
    const double m = sums[c] / double(rows);
    const double var = std::max(0.0, sums[C + c] / double(rows) - m * m);
    mean.data[c] = float(m);
    variance.data[c] = float(var);
    const double s = double(gamma.data[c]) / std::sqrt(var + epsilon);
    scale[c] = float(s);
    shift[c] = float(double(beta.data[c]) - m * s);
  }
  float* py = y.data;
  const float* ps = scale.data();
  const float* pb = shift.data();
  loops::forRows(rows, x.length > 32768, [&](int64_t r0, int64_t r1, int) { loops::scaleShift(px, ps, pb, py, r0, r1, C); });
  return nullptr;
}

// batchNormTrainingBackward(dy, x, mean, variance, gamma, dx, dgamma, dbeta, channels, epsilon): the
// closed-form gradient of training-mode BatchNorm (batch statistics included). With x̂ = (x − μ)/σ,
// N rows: dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/(Nσ)·(N·dy − dβ − x̂·dγ) = A·dy + B·x + K per channel.
napi_value BatchNormTrainingBackward(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 10);
  Arg dy, x, mean, variance, gamma, dx, dgamma, dbeta;
  int32_t channels = 0;
  double epsilon = 0;
  if (a.empty() || !getFloat32(env, a[0], &dy, false) || !getFloat32(env, a[1], &x, false) || !getFloat32(env, a[2], &mean, false) ||
      !getFloat32(env, a[3], &variance, false) || !getFloat32(env, a[4], &gamma, false) || !getFloat32(env, a[5], &dx, false) ||
      !getFloat32(env, a[6], &dgamma, false) || !getFloat32(env, a[7], &dbeta, false) || napi_get_value_int32(env, a[8], &channels) != napi_ok ||
      napi_get_value_double(env, a[9], &epsilon) != napi_ok || channels <= 0 || x.length % channels != 0 || x.length == 0 ||
      dy.length < x.length || dx.length < x.length || mean.length < size_t(channels) || variance.length < size_t(channels) ||
      gamma.length < size_t(channels) || dgamma.length < size_t(channels) || dbeta.length < size_t(channels)) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "batchNormTrainingBackward: bad arguments");
    return nullptr;
  }
  const int64_t C = channels, rows = int64_t(x.length) / C;
  const float *pdy = dy.data, *px = x.data;
  std::vector<double> sums;
  loops::channelSums(rows, C, 2, sums, x.length > 32768,
                     [&](int64_t r0, int64_t r1, double* acc) { loops::sumAndDot(pdy, px, acc, acc + C, r0, r1, C); });
  std::vector<float> A(C), B(C), K(C);
  const double n = double(rows);
  for (int64_t c = 0; c < C; c++) {
    const double m = mean.data[c];
    const double inv = 1.0 / std::sqrt(double(variance.data[c]) + epsilon);
    const double sumDy = sums[c];
    const double gammaC = gamma.data[c];
    // Σ dy·x̂ = σ⁻¹ (Σ dy·x − μ Σ dy)
    const double dg = inv * (sums[C + c] - m * sumDy);
    dbeta.data[c] = float(sumDy);
    dgamma.data[c] = float(dg);
    A[c] = float(gammaC * inv);
    B[c] = float(-gammaC * inv * inv * dg / n);
    K[c] = float(-gammaC * inv * sumDy / n + gammaC * inv * inv * dg * m / n);
  }
  float* pdx = dx.data;
  const float *pa = A.data(), *pb = B.data(), *pk = K.data();
  loops::forRows(rows, x.length > 32768, [&](int64_t r0, int64_t r1, int) { loops::affine2(pdy, px, pa, pb, pk, pdx, r0, r1, C); });
  return nullptr;
}

// preluBackward(dy, x, alpha, alphaMode, dx, dalpha, channels): the gradient of y = x > 0 ? x : α·x
// in one pass: dx = x > 0 ? dy : α·dy; dα = Σ (x > 0 ? 0 : dy·x) over every element of α's channel
// (alphaMode 1: one α per channel; 2: one scalar α).
napi_value PreluBackward(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 7);
  Arg dy, x, alpha, dx, dalpha;
  int32_t alphaMode = 0, channels = 0;
  if (a.empty() || !getFloat32(env, a[0], &dy, false) || !getFloat32(env, a[1], &x, false) || !getFloat32(env, a[2], &alpha, false) ||
      napi_get_value_int32(env, a[3], &alphaMode) != napi_ok || !getFloat32(env, a[4], &dx, false) || !getFloat32(env, a[5], &dalpha, false) ||
      napi_get_value_int32(env, a[6], &channels) != napi_ok || channels <= 0 || (alphaMode != 1 && alphaMode != 2) || x.length % channels != 0 ||
      dy.length < x.length || dx.length < x.length || alpha.length < (alphaMode == 1 ? size_t(channels) : size_t(1)) ||
      dalpha.length < (alphaMode == 1 ? size_t(channels) : size_t(1))) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "preluBackward: bad arguments");
    return nullptr;
  }
  const int64_t C = channels, rows = int64_t(x.length) / C;
  const float *pdy = dy.data, *px = x.data, *pa = alpha.data;
  float* pdx = dx.data;
  std::vector<double> sums;
  loops::channelSums(rows, C, 1, sums, x.length > 32768,
                     [&](int64_t r0, int64_t r1, double* acc) { loops::preluBackward(pdy, px, pa, alphaMode == 1, pdx, acc, r0, r1, C); });
  if (alphaMode == 1) {
    for (int64_t c = 0; c < C; c++) dalpha.data[c] = float(sums[c]);
  } else {
    double total = 0;
    for (int64_t c = 0; c < C; c++) total += sums[c];
    dalpha.data[0] = float(total);
  }
  return nullptr;
}

// squaredNorms(w, g, out[2]): out = [Σw², Σg²] in one pass (double sums, parallel over blocks,
// combined in block order: deterministic for a given thread count).
napi_value SquaredNorms(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 3);
  Arg w, g, out;
  if (a.empty() || !getFloat32(env, a[0], &w, false) || !getFloat32(env, a[1], &g, false) || !getFloat32(env, a[2], &out, false) ||
      g.length != w.length || out.length < 2) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "squaredNorms(w, g, out): w and g of one length, out of 2");
    return nullptr;
  }
  const int64_t n = int64_t(w.length);
  const int64_t block = 65536;
  const int64_t blocks = (n + block - 1) / block;
  std::vector<double> sw(blocks, 0.0), sg(blocks, 0.0);
  const float *pw = w.data, *pg = g.data;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t b = 0; b < blocks; b++) {
    double a1 = 0, a2 = 0;
    const int64_t end = std::min(n, (b + 1) * block);
#pragma omp simd reduction(+ : a1, a2)
    for (int64_t i = b * block; i < end; i++) {
      a1 += double(pw[i]) * pw[i];
      a2 += double(pg[i]) * pg[i];
    }
    sw[b] = a1;
    sg[b] = a2;
  }
  double tw = 0, tg = 0;
  for (int64_t b = 0; b < blocks; b++) {
    tw += sw[b];
    tg += sg[b];
  }
  out.data[0] = float(tw);
  out.data[1] = float(tg);
  return nullptr;
}

// larsApply(w, g, m, wOut, mOut, [lr, momentum, weightDecay, eta, epsilon, weightNorm, gradientNorm, excluded]):
// one LARS step in one pass — trust = η‖w‖/(‖g‖ + wd‖w‖ + ε) (1 when a norm is 0), d = trust·(g + wd·w)
// (excluded: d = g), m' = momentum·m + d, w' = w − lr·m'. The norms are given (a sharded parameter's
// are all-reduced by the caller).
napi_value LarsApply(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 6);
  Arg w, g, m, wOut, mOut;
  std::vector<int64_t> unused;
  if (a.empty() || !getFloat32(env, a[0], &w, false) || !getFloat32(env, a[1], &g, false) || !getFloat32(env, a[2], &m, false) ||
      !getFloat32(env, a[3], &wOut, false) || !getFloat32(env, a[4], &mOut, false) || g.length != w.length || m.length != w.length ||
      wOut.length != w.length || mOut.length != w.length) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "larsApply(w, g, m, wOut, mOut, params): five arrays of one length");
    return nullptr;
  }
  double p[8];
  for (uint32_t i = 0; i < 8; i++) {
    napi_value e;
    if (napi_get_element(env, a[5], i, &e) != napi_ok || napi_get_value_double(env, e, &p[i]) != napi_ok) {
      napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "larsApply: params must be [lr, momentum, weightDecay, eta, epsilon, weightNorm, gradientNorm, excluded]");
      return nullptr;
    }
  }
  const float lr = float(p[0]), momentum = float(p[1]), wd = float(p[2]);
  const bool excluded = p[7] != 0;
  // The trust ratio in float32 arithmetic, like the tensor formulation it replaces.
  const float wn = float(p[5]), gn = float(p[6]);
  const float ratio = (float(p[3]) * wn) / ((gn + wd * wn) + float(p[4]));
  const float trust = wn > 0 && gn > 0 ? ratio : 1.f;
  const int64_t n = int64_t(w.length);
  const float *pw = w.data, *pg = g.data, *pm = m.data;
  float *ow = wOut.data, *om = mOut.data;
  loops::forRows(n, n > 65536, [&](int64_t i0, int64_t i1, int) { loops::larsApply(pw, pg, pm, ow, om, lr, momentum, wd, trust, excluded, i0, i1); });
  return nullptr;
}

bool bf16Supported() {
  const cpu_isa isa = get_effective_cpu_isa();
  return isa == cpu_isa::avx512_core_bf16 || isa == cpu_isa::avx512_core_amx;
}

std::string isaName() {
  switch (get_effective_cpu_isa()) {
    case cpu_isa::sse41: return "SSE4.1";
    case cpu_isa::avx: return "AVX";
    case cpu_isa::avx2: return "AVX2";
    case cpu_isa::avx512_core: return "AVX-512 (no BF16)";
    case cpu_isa::avx512_core_vnni: return "AVX-512 VNNI (no BF16)";
    case cpu_isa::avx512_core_bf16: return "AVX-512 BF16";
    case cpu_isa::avx512_core_amx: return "AMX";
    default: return "an ISA without AVX-512 BF16";
  }
}

// info() -> { threads, onednn: "major.minor.patch", isa, bf16 }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, omp_get_max_threads(), &v);
  napi_set_named_property(env, o, "threads", v);
  const dnnl_version_t* ver = dnnl_version();
  std::string s = std::to_string(ver->major) + "." + std::to_string(ver->minor) + "." + std::to_string(ver->patch);
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  napi_set_named_property(env, o, "onednn", v);
  const std::string isa = isaName();
  napi_create_string_utf8(env, isa.c_str(), isa.size(), &v);
  napi_set_named_property(env, o, "isa", v);
  napi_get_boolean(env, bf16Supported(), &v);
  napi_set_named_property(env, o, "bf16", v);
  napi_get_boolean(env, threadState().bf16, &v);
  napi_set_named_property(env, o, "bf16Active", v);
  return o;
}

// setPrecision('fp32' | 'bf16'): this thread's convolutions and matmuls; 'bf16' needs a CPU oneDNN runs
// bf16 on (AVX-512 BF16 or AMX) — throws NATIVE_CPU_NO_BF16 naming what the CPU has otherwise.
// dropWeights(id): forget this thread's reordered copies of filter array `id` (it was collected).
napi_value DropWeights(napi_env env, napi_callback_info info) {
  const uint32_t id = optionalId(env, info, 0);
  ThreadState& t = threadState();
  for (auto it = t.weightsCache.begin(); it != t.weightsCache.end();) {
    auto next = std::next(it);
    if (it->second.id == id) eraseWeights(t, it);
    it = next;
  }
  return nullptr;
}

// weightsCache(capBytes?) -> { bytes, entries, capBytes }: this thread's reordered-filter cache; a
// cap (>= 0; 0 turns it off and empties it) when given.
napi_value WeightsCache(napi_env env, napi_callback_info info) {
  std::vector<napi_value> argv(1);
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr);
  ThreadState& t = threadState();
  napi_valuetype type = napi_undefined;
  if (argc > 0 && napi_typeof(env, argv[0], &type) == napi_ok && type == napi_number) {
    double cap = 0;
    napi_get_value_double(env, argv[0], &cap);
    if (!(cap >= 0)) {
      napi_throw_range_error(env, "NATIVE_CPU_ARGUMENTS", "weightsCache(capBytes): capBytes must be >= 0");
      return nullptr;
    }
    t.weightsCacheCap = size_t(cap);
    while (t.weightsCacheBytes > t.weightsCacheCap && !t.weightsCache.empty()) eraseWeights(t, oldestWeights(t));
  }
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_double(env, double(t.weightsCacheBytes), &v);
  napi_set_named_property(env, o, "bytes", v);
  napi_create_uint32(env, uint32_t(t.weightsCache.size()), &v);
  napi_set_named_property(env, o, "entries", v);
  napi_create_double(env, double(t.weightsCacheCap), &v);
  napi_set_named_property(env, o, "capBytes", v);
  return o;
}

napi_value SetPrecision(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 1);
  char name[16] = {0};
  size_t length = 0;
  if (a.empty() || napi_get_value_string_utf8(env, a[0], name, sizeof name, &length) != napi_ok ||
      (std::string(name) != "fp32" && std::string(name) != "bf16")) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "setPrecision(precision): precision must be 'fp32' or 'bf16'");
    return nullptr;
  }
  const bool bf16 = std::string(name) == "bf16";
  if (bf16 && !bf16Supported()) {
    napi_throw_error(env, "NATIVE_CPU_NO_BF16", (std::string("bf16 needs a CPU with AVX-512 BF16 (avx512_bf16) or AMX; this one runs oneDNN at ") + isaName()).c_str());
    return nullptr;
  }
  threadState().bf16 = bf16;
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  auto a = getArgs(env, info, 1);
  int32_t n = 0;
  if (a.empty() || napi_get_value_int32(env, a[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, "NATIVE_CPU_ARGUMENTS", "setThreads(n): n must be a positive integer");
    return nullptr;
  }
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2dForward", nullptr, Conv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardData", nullptr, Conv2dBackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"depthwiseConv2dForward", nullptr, DepthwiseConv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardWeightsGemm", nullptr, Conv2dBackwardWeightsGemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardWeights", nullptr, Conv2dBackwardWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dForwardIm2col", nullptr, Conv2dForwardIm2col, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"biasActivation", nullptr, BiasActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"greater", nullptr, Greater, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, Select, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scaleShift", nullptr, ScaleShift, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainingForward", nullptr, BatchNormTrainingForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainingBackward", nullptr, BatchNormTrainingBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"preluBackward", nullptr, PreluBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"squaredNorms", nullptr, SquaredNorms, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"larsApply", nullptr, LarsApply, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropWeights", nullptr, DropWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightsCache", nullptr, WeightsCache, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setPrecision", nullptr, SetPrecision, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
