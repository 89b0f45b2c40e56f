// bias_add_grad on NVIDIA GPUs: g viewed as (outer, C, inner), summed over
// outer and inner (see spec.md), deterministically, in three steps:
//   runs_T       (inner != 1) sums[n, c] = sum of g[n, c, :]: one warp per run
//   columns_T    partial[k, c] = column sums of rows [k * rows_per_chunk, ...)
//                of an (outer, C) matrix: threads along c read coalesced
//   finish_T     out[c] = sum over k of partial[k, c], rounded once to T
// Sums accumulate in the work type (float for float16 and float32).
#include <cuda_fp16.h>

template <typename T> struct Work { typedef T type; };
template <> struct Work<__half> { typedef float type; };

__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline void store(__half* p, float v) { *p = __float2half(v); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }

template <typename T>
__device__ void runs(const T* g, typename Work<T>::type* sums, long long count, long long inner) {
    typedef typename Work<T>::type W;
    const long long warps = (long long)gridDim.x * (blockDim.x / 32);
    const int lane = threadIdx.x % 32;
    for (long long run = blockIdx.x * (long long)(blockDim.x / 32) + threadIdx.x / 32; run < count;
         run += warps) {
        const T* p = g + run * inner;
        W total = 0;
        for (long long j = lane; j < inner; j += 32) total += widen(p[j]);
        for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffffu, total, offset);
        if (lane == 0) sums[run] = total;
    }
}

template <typename T>
__device__ void columns(const T* a, typename Work<T>::type* partial, long long rows, long long channels,
                        long long rows_per_chunk) {
    typedef typename Work<T>::type W;
    const long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (c >= channels) return;
    for (long long k = blockIdx.y; k * rows_per_chunk < rows; k += gridDim.y) {
        const long long stop = min(rows, (k + 1) * rows_per_chunk);
        W total = 0;
        for (long long n = k * rows_per_chunk; n < stop; ++n) total += widen(a[n * channels + c]);
        partial[k * channels + c] = total;
    }
}

template <typename T>
__device__ void finish(const typename Work<T>::type* partial, T* out, long long chunks, long long channels) {
    typedef typename Work<T>::type W;
    for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < channels;
         c += (long long)blockDim.x * gridDim.x) {
        W total = 0;
        for (long long k = 0; k < chunks; ++k) total += partial[k * channels + c];
        store(out + c, total);
    }
}

extern "C" {
__global__ void runs_float16(const __half* g, float* sums, long long count, long long inner) { runs(g, sums, count, inner); }
__global__ void runs_float32(const float* g, float* sums, long long count, long long inner) { runs(g, sums, count, inner); }
__global__ void runs_float64(const double* g, double* sums, long long count, long long inner) { runs(g, sums, count, inner); }
__global__ void columns_float16(const __half* a, float* partial, long long rows, long long channels, long long rows_per_chunk) { columns(a, partial, rows, channels, rows_per_chunk); }
__global__ void columns_float32(const float* a, float* partial, long long rows, long long channels, long long rows_per_chunk) { columns(a, partial, rows, channels, rows_per_chunk); }
__global__ void columns_float64(const double* a, double* partial, long long rows, long long channels, long long rows_per_chunk) { columns(a, partial, rows, channels, rows_per_chunk); }
__global__ void finish_float16(const float* partial, __half* out, long long chunks, long long channels) { finish(partial, out, chunks, channels); }
__global__ void finish_float32(const float* partial, float* out, long long chunks, long long channels) { finish(partial, out, chunks, channels); }
__global__ void finish_float64(const double* partial, double* out, long long chunks, long long channels) { finish(partial, out, chunks, channels); }
}
