// The native half of @bigface/mpi: thin N-API wrappers around OpenMPI's nonblocking collectives on
// the memory of JavaScript typed arrays (no copies), each completed by a polling wait with a
// watchdog deadline, plus the rank-ordered element-wise reduction. Validation, chunking and the
// algorithms (reduce-scatter = all-to-all + local reduce; all-reduce = reduce-scatter + all-gather)
// live in TypeScript (src/mpi-communicator.ts); this file only moves bytes and adds numbers.
#include <node_api.h>
#include <mpi.h>

#include <dlfcn.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <string>

namespace {

bool initialized = false;
// Set when a collective timed out or failed: the job can no longer finish cleanly, so exit aborts it.
bool broken = false;
MPI_Comm comm = MPI_COMM_NULL;
int worldRank = 0;
// A second communicator for the exit barrier, so it never matches a collective of `comm`.
MPI_Comm exitComm = MPI_COMM_NULL;
double exitTimeoutMs = 600000;

#define CHECK_NAPI(call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "MPI_ADDON", "@bigface/mpi: N-API call failed: " #call); \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

double nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

napi_value makeString(napi_env env, const std::string& text) {
  napi_value value;
  napi_create_string_utf8(env, text.c_str(), text.size(), &value);
  return value;
}

napi_value undefinedValue(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

std::string mpiErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, length);
}

// A failure as a string for the TypeScript side to wrap in a BigFaceError; undefined on success.
napi_value status(napi_env env, int code) {
  if (code == MPI_SUCCESS) return undefinedValue(env);
  broken = true;
  return makeString(env, "MPI_ERROR " + mpiErrorText(code));
}

// Waits for one request, driving MPI's progress engine: spins for the first 100 us (fast
// collectives stay fast), then sleeps between tests with a backoff up to 1 ms, so that
// oversubscribed ranks (more ranks than cores) hand the core to the rank they wait for, and gives
// up at the watchdog deadline.
napi_value wait(napi_env env, MPI_Request* request, double timeoutMs) {
  const double start = nowMs();
  long sleepNs = 2000;
  for (;;) {
    int done = 0;
    int code = MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS) return status(env, code);
    if (done) return undefinedValue(env);
    const double waited = nowMs() - start;
    if (waited < 0.1) continue;
    if (waited > timeoutMs) {
      broken = true;
      return makeString(env, "TIMEOUT " + std::to_string(static_cast<long long>(waited)));
    }
    timespec pause = {0, sleepNs};
    nanosleep(&pause, nullptr);
    if (sleepNs < 1000000) sleepNs = sleepNs * 3 / 2;
  }
}

// Polls a request until done (true) or the deadline (false); for the exit path, outside N-API.
bool waitPlain(MPI_Request* request, double timeoutMs) {
  const double start = nowMs();
  long sleepNs = 2000;
  for (;;) {
    int done = 0;
    if (MPI_Test(request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return false;
    if (done) return true;
    if (nowMs() - start > timeoutMs) return false;
    timespec pause = {0, sleepNs};
    nanosleep(&pause, nullptr);
    if (sleepNs < 1000000) sleepNs = sleepNs * 3 / 2;
  }
}

struct Typed {
  napi_typedarray_type type;
  void* data;
  size_t length;
};

bool getTyped(napi_env env, napi_value value, Typed* out) {
  napi_value buffer;
  size_t offset;
  return napi_get_typedarray_info(env, value, &out->type, &out->length, &out->data, &buffer, &offset) == napi_ok;
}

MPI_Datatype datatypeOf(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return MPI_FLOAT;
    case napi_int32_array: return MPI_INT32_T;
    case napi_float64_array: return MPI_DOUBLE;
    case napi_uint16_array: return MPI_UINT16_T;  // bfloat16 bits
    default: return MPI_DATATYPE_NULL;
  }
}

bool getArgs(napi_env env, napi_callback_info info, size_t expected, napi_value* args) {
  size_t count = expected;
  if (napi_get_cb_info(env, info, &count, args, nullptr, nullptr) != napi_ok || count < expected) {
    napi_throw_error(env, "MPI_ADDON", "@bigface/mpi: native call with too few arguments");
    return false;
  }
  return true;
}

double getNumber(napi_env env, napi_value value) {
  double number = 0;
  napi_get_value_double(env, value, &number);
  return number;
}

bool ensureInitialized(napi_env env) {
  if (initialized && comm != MPI_COMM_NULL) return true;
  napi_throw_error(env, "MPI_NOT_INITIALIZED", "@bigface/mpi: MPI is not initialised; use MpiCommunicator.create()");
  return false;
}

// init(timeoutMs) -> [rank, worldSize, libraryVersion]
napi_value Init(napi_env env, napi_callback_info info) {
  napi_value initArgs[1];
  if (!getArgs(env, info, 1, initArgs)) return nullptr;
  exitTimeoutMs = getNumber(env, initArgs[0]);
  if (!initialized) {
    // OpenMPI dlopens its components, which expect libmpi's symbols to be global; Node loads
    // addons (and so libmpi) with RTLD_LOCAL. Promote the already loaded library to RTLD_GLOBAL.
    dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
      int provided = 0;
      int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
      if (code != MPI_SUCCESS) {
        napi_throw_error(env, "MPI_INIT_FAILED", ("@bigface/mpi: MPI_Init failed: " + mpiErrorText(code)).c_str());
        return nullptr;
      }
    }
    // Our own communicator: errors are returned (MPI_ERRORS_RETURN), never fatal inside MPI.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &exitComm);
    MPI_Comm_set_errhandler(exitComm, MPI_ERRORS_RETURN);
    initialized = true;
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  worldRank = rank;
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  napi_value result, value;
  CHECK_NAPI(napi_create_array_with_length(env, 3, &result));
  napi_create_int32(env, rank, &value);
  napi_set_element(env, result, 0, value);
  napi_create_int32(env, size, &value);
  napi_set_element(env, result, 1, value);
  napi_set_element(env, result, 2, makeString(env, std::string(version, strnlen(version, length))));
  return result;
}

// allgatherv(send | null, recv, recvCounts: Int32Array, displacements: Int32Array, timeoutMs)
napi_value Allgatherv(napi_env env, napi_callback_info info) {
  napi_value args[5];
  if (!getArgs(env, info, 5, args) || !ensureInitialized(env)) return nullptr;
  Typed send, recv, counts, displacements;
  napi_valuetype sendType;
  napi_typeof(env, args[0], &sendType);
  const bool inPlace = sendType == napi_null || sendType == napi_undefined;
  if ((!inPlace && !getTyped(env, args[0], &send)) || !getTyped(env, args[1], &recv) || !getTyped(env, args[2], &counts) ||
      !getTyped(env, args[3], &displacements)) {
    napi_throw_type_error(env, "MPI_ADDON", "@bigface/mpi: allgatherv expects typed arrays");
    return nullptr;
  }
  MPI_Request request;
  // send null: MPI_IN_PLACE (this rank's part is already at its displacement in recv).
  int code = MPI_Iallgatherv(inPlace ? MPI_IN_PLACE : send.data, inPlace ? 0 : static_cast<int>(send.length),
                             inPlace ? MPI_DATATYPE_NULL : datatypeOf(send.type), recv.data,
                             static_cast<const int*>(counts.data), static_cast<const int*>(displacements.data),
                             datatypeOf(recv.type), comm, &request);
  if (code != MPI_SUCCESS) return status(env, code);
  return wait(env, &request, getNumber(env, args[4]));
}

// alltoallv(send, sendCounts, sendDisplacements, recv, recvCounts, recvDisplacements, timeoutMs)
napi_value Alltoallv(napi_env env, napi_callback_info info) {
  napi_value args[7];
  if (!getArgs(env, info, 7, args) || !ensureInitialized(env)) return nullptr;
  Typed send, sendCounts, sendDisplacements, recv, recvCounts, recvDisplacements;
  if (!getTyped(env, args[0], &send) || !getTyped(env, args[1], &sendCounts) || !getTyped(env, args[2], &sendDisplacements) ||
      !getTyped(env, args[3], &recv) || !getTyped(env, args[4], &recvCounts) || !getTyped(env, args[5], &recvDisplacements)) {
    napi_throw_type_error(env, "MPI_ADDON", "@bigface/mpi: alltoallv expects typed arrays");
    return nullptr;
  }
  MPI_Request request;
  int code = MPI_Ialltoallv(send.data, static_cast<const int*>(sendCounts.data), static_cast<const int*>(sendDisplacements.data),
                            datatypeOf(send.type), recv.data, static_cast<const int*>(recvCounts.data),
                            static_cast<const int*>(recvDisplacements.data), datatypeOf(recv.type), comm, &request);
  if (code != MPI_SUCCESS) return status(env, code);
  return wait(env, &request, getNumber(env, args[6]));
}

// bcast(buffer, root, timeoutMs)
napi_value Bcast(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!getArgs(env, info, 3, args) || !ensureInitialized(env)) return nullptr;
  Typed buffer;
  if (!getTyped(env, args[0], &buffer)) {
    napi_throw_type_error(env, "MPI_ADDON", "@bigface/mpi: bcast expects a typed array");
    return nullptr;
  }
  MPI_Request request;
  int code = MPI_Ibcast(buffer.data, static_cast<int>(buffer.length), datatypeOf(buffer.type),
                        static_cast<int>(getNumber(env, args[1])), comm, &request);
  if (code != MPI_SUCCESS) return status(env, code);
  return wait(env, &request, getNumber(env, args[2]));
}

// barrier(timeoutMs)
napi_value Barrier(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!getArgs(env, info, 1, args) || !ensureInitialized(env)) return nullptr;
  MPI_Request request;
  int code = MPI_Ibarrier(comm, &request);
  if (code != MPI_SUCCESS) return status(env, code);
  return wait(env, &request, getNumber(env, args[0]));
}

// The same arithmetic as ThreadCommunicator's reduceRange: ranks in order 0..W-1, rounding to the
// element type at every step (float32 sums in float, int32 sums wrapping), max/min propagating NaN,
// mean = sum / W (int32: truncated toward zero).
template <typename T>
void reduceSegments(const T* stacked, int worldSize, size_t length, int op, T* out) {
  std::memcpy(out, stacked, length * sizeof(T));
  for (int r = 1; r < worldSize; r++) {
    const T* source = stacked + static_cast<size_t>(r) * length;
    if (op == 0 || op == 3) {
      for (size_t i = 0; i < length; i++) out[i] = static_cast<T>(out[i] + source[i]);
    } else if (op == 1) {
      for (size_t i = 0; i < length; i++) {
        const T value = source[i];
        if (value > out[i] || value != value) out[i] = value;
      }
    } else if (op == 2) {
      for (size_t i = 0; i < length; i++) {
        const T value = source[i];
        if (value < out[i] || value != value) out[i] = value;
      }
    }
  }
  if (op == 3) {
    for (size_t i = 0; i < length; i++) out[i] = static_cast<T>(out[i] / static_cast<T>(worldSize));
  }
}

void reduceInt32(const int32_t* stacked, int worldSize, size_t length, int op, int32_t* out) {
  std::memcpy(out, stacked, length * sizeof(int32_t));
  for (int r = 1; r < worldSize; r++) {
    const int32_t* source = stacked + static_cast<size_t>(r) * length;
    if (op == 0 || op == 3) {
      // Wrapping like Int32Array stores (unsigned arithmetic has no overflow UB).
      for (size_t i = 0; i < length; i++) out[i] = static_cast<int32_t>(static_cast<uint32_t>(out[i]) + static_cast<uint32_t>(source[i]));
    } else if (op == 1) {
      for (size_t i = 0; i < length; i++) out[i] = source[i] > out[i] ? source[i] : out[i];
    } else if (op == 2) {
      for (size_t i = 0; i < length; i++) out[i] = source[i] < out[i] ? source[i] : out[i];
    }
  }
  if (op == 3) {
    for (size_t i = 0; i < length; i++) out[i] = static_cast<int32_t>(static_cast<int64_t>(out[i]) / worldSize);
  }
}

float bfloat16Value(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

uint16_t bfloat16Bits(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  if ((word & 0x7f800000u) == 0x7f800000u && (word & 0x7fffffu)) return uint16_t(((word >> 16) | 0x40) & 0xffff);
  return uint16_t((uint64_t(word) + 0x7fff + ((word >> 16) & 1)) >> 16);
}

// bfloat16 bits: decoded, accumulated in float in rank order (max/min: NaN wins), mean = sum / W,
// rounded once to bfloat16 (nearest even) — ThreadCommunicator's reduceBfloat16Range.
void reduceBfloat16(const uint16_t* stacked, int worldSize, size_t length, int op, uint16_t* out) {
  std::vector<float> acc(length);
  for (size_t i = 0; i < length; i++) acc[i] = bfloat16Value(stacked[i]);
  for (int r = 1; r < worldSize; r++) {
    const uint16_t* source = stacked + static_cast<size_t>(r) * length;
    for (size_t i = 0; i < length; i++) {
      const float value = bfloat16Value(source[i]);
      if (op == 0 || op == 3) acc[i] = acc[i] + value;
      else if (op == 1 ? (value > acc[i] || value != value) : (value < acc[i] || value != value)) acc[i] = value;
    }
  }
  if (op == 3) for (size_t i = 0; i < length; i++) acc[i] = acc[i] / static_cast<float>(worldSize);
  for (size_t i = 0; i < length; i++) out[i] = bfloat16Bits(acc[i]);
}

// reduce(stacked, worldSize, op, out): out[i] = op over r of stacked[r * out.length + i]
napi_value Reduce(napi_env env, napi_callback_info info) {
  napi_value args[4];
  if (!getArgs(env, info, 4, args)) return nullptr;
  Typed stacked, out;
  if (!getTyped(env, args[0], &stacked) || !getTyped(env, args[3], &out) || stacked.type != out.type) {
    napi_throw_type_error(env, "MPI_ADDON", "@bigface/mpi: reduce expects two typed arrays of one type");
    return nullptr;
  }
  const int worldSize = static_cast<int>(getNumber(env, args[1]));
  const int op = static_cast<int>(getNumber(env, args[2]));
  if (out.length == 0) return undefinedValue(env);
  if (stacked.length < out.length * static_cast<size_t>(worldSize)) {
    napi_throw_range_error(env, "MPI_ADDON", "@bigface/mpi: reduce: stacked buffer too short");
    return nullptr;
  }
  switch (out.type) {
    case napi_float32_array:
      reduceSegments(static_cast<const float*>(stacked.data), worldSize, out.length, op, static_cast<float*>(out.data));
      break;
    case napi_float64_array:
      reduceSegments(static_cast<const double*>(stacked.data), worldSize, out.length, op, static_cast<double*>(out.data));
      break;
    case napi_int32_array:
      reduceInt32(static_cast<const int32_t*>(stacked.data), worldSize, out.length, op, static_cast<int32_t*>(out.data));
      break;
    case napi_uint16_array:
      reduceBfloat16(static_cast<const uint16_t*>(stacked.data), worldSize, out.length, op, static_cast<uint16_t*>(out.data));
      break;
    default:
      napi_throw_type_error(env, "MPI_ADDON", "@bigface/mpi: reduce supports Float32Array, Int32Array, Float64Array, Uint16Array (bfloat16)");
      return nullptr;
  }
  return undefinedValue(env);
}

void abortNow() {
  fflush(stdout);
  fflush(stderr);
  // Let mpirun forward this rank's last output; the pause grows with the rank so that, when all
  // ranks fail together, the lowest one aborts first (concurrent MPI_Aborts can leave OpenMPI
  // 4.1's mpirun hanging in its own teardown).
  usleep((300 + 400 * (worldRank < 8 ? worldRank : 8)) * 1000);
  MPI_Abort(MPI_COMM_WORLD, 1);
  _exit(1);
}

// A clean end: wait (with the watchdog) until every rank is ending too, then MPI_Finalize. A rank
// that ends while others still wait in a collective would otherwise sit in MPI_Finalize forever;
// here its exit barrier times out and it aborts the job instead.
void finalizeNow() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  MPI_Request request;
  if (MPI_Ibarrier(exitComm, &request) != MPI_SUCCESS || !waitPlain(&request, exitTimeoutMs)) {
    fprintf(stderr, "@bigface/mpi: rank %d ended, but the other ranks did not end within %.0f ms; aborting the MPI job\n", worldRank, exitTimeoutMs);
    abortNow();
  }
  MPI_Comm_free(&comm);
  MPI_Comm_free(&exitComm);
  MPI_Finalize();
}

// finalize(): MPI_Finalize (a no-op when not initialised or already finalised).
napi_value Finalize(napi_env env, napi_callback_info info) {
  if (broken) return undefinedValue(env);
  finalizeNow();
  return undefinedValue(env);
}

// abort(code): MPI_Abort of the whole job, flushing stdio first so the reason is not lost.
napi_value Abort(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!getArgs(env, info, 1, args)) return nullptr;
  int code = static_cast<int>(getNumber(env, args[0]));
  fflush(stdout);
  fflush(stderr);
  if (initialized) MPI_Abort(MPI_COMM_WORLD, code == 0 ? 1 : code);
  _exit(code == 0 ? 1 : code);
  return nullptr;
}

// markBroken(): the job cannot end cleanly (this process exits with an error): exit aborts it.
napi_value MarkBroken(napi_env env, napi_callback_info info) {
  broken = true;
  return undefinedValue(env);
}

napi_value IsBroken(napi_env env, napi_callback_info info) {
  napi_value value;
  napi_get_boolean(env, broken, &value);
  return value;
}

void atExit() {
  // At the very end of the process (after Node has printed any fatal error): a clean end
  // finalises; a broken job (failed collective, or a non-zero exit marked by the JavaScript 'exit'
  // hook) is aborted so that no rank waits for this one. The short pause lets mpirun forward this
  // rank's last output before MPI_Abort kills the job; it grows with the rank so that, when all
  // ranks time out together, the lowest one aborts first (concurrent MPI_Aborts can leave
  // OpenMPI 4.1's mpirun hanging in its own teardown).
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  if (broken) abortNow();
  else finalizeNow();
}

napi_value ModuleInit(napi_env env, napi_value exports) {
  static bool registered = false;
  if (!registered) {
    std::atexit(atExit);
    registered = true;
  }
  napi_property_descriptor properties[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allgatherv", nullptr, Allgatherv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"alltoallv", nullptr, Alltoallv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bcast", nullptr, Bcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalize", nullptr, Finalize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abort", nullptr, Abort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"markBroken", nullptr, MarkBroken, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isBroken", nullptr, IsBroken, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)
