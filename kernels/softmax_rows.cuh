// What the row-wise kernels share (softmax, log_softmax, sparse_xent,
// sparse_xent_grad; see kernels/softmax/spec.md): one block per row, each
// thread keeping an online (max, sum of exp) over a strided slice of the row,
// then the block combining them. float16 is computed in float32.
#pragma once
#include <cuda_fp16.h>

template <typename T> struct Work { typedef T type; };
template <> struct Work<__half> { typedef float type; };

__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline void store(__half* p, float v) { *p = __float2half(v); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }
__device__ inline float exp_(float v) { return expf(v); }
__device__ inline double exp_(double v) { return exp(v); }
__device__ inline float log_(float v) { return logf(v); }
__device__ inline double log_(double v) { return log(v); }
__device__ inline void special(float& inf, float& nan) { inf = __int_as_float(0x7f800000); nan = __int_as_float(0x7fc00000); }
__device__ inline void special(double& inf, double& nan) {
    inf = __longlong_as_double(0x7ff0000000000000LL);
    nan = __longlong_as_double(0x7ff8000000000000LL);
}

// (m, s) <- (m, s) and (m2, s2) together: the larger maximum, sums rescaled to it
template <typename W>
__device__ inline void combine(W& m, W& s, W m2, W s2, W inf) {
    const W top = m2 > m ? m2 : m;
    if (top == -inf) return;  // nothing but -inf so far: both sums are 0
    s = s * exp_(m - top) + s2 * exp_(m2 - top);
    m = top;
}

template <typename W>
__device__ inline void combine_warp(W& m, W& s, W inf) {
    for (int offset = 16; offset > 0; offset /= 2) {
        const W m2 = __shfl_xor_sync(0xffffffffu, m, offset);
        const W s2 = __shfl_xor_sync(0xffffffffu, s, offset);
        combine(m, s, m2, s2, inf);
    }
}

// The row's m = max(row) and s = sum(exp(row - m)), the same in every thread
// of the block (all of which must call it; blockDim.x a multiple of 32). As
// numpy's x - max(x): m is nan where the maximum is +-inf, s is nan where the
// row holds a nan.
template <typename T, typename W>
__device__ void row_stats(const T* row, long long depth, W& m_out, W& s_out) {
    __shared__ W shared_m[32], shared_s[32];
    W inf, nan;
    special(inf, nan);
    W m = -inf, s = 0;
    for (long long j = threadIdx.x; j < depth; j += blockDim.x) {
        const W v = widen(row[j]);
        if (v > m) {
            s = s * exp_(m - v) + 1;
            m = v;
        } else if (v != -inf) {  // nan goes here: s becomes nan
            s += exp_(v - m);
        }
    }
    combine_warp(m, s, inf);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) {
        shared_m[warp] = m;
        shared_s[warp] = s;
    }
    __syncthreads();
    if (warp == 0) {
        const bool used = lane < (int)(blockDim.x / 32);
        m = used ? shared_m[lane] : -inf;
        s = used ? shared_s[lane] : 0;
        combine_warp(m, s, inf);
        if (lane == 0) {
            shared_m[0] = m;
            shared_s[0] = s;
        }
    }
    __syncthreads();
    m = shared_m[0];
    s = shared_s[0];
    __syncthreads();  // before the next row overwrites shared_m
    m_out = (m == inf || m == -inf) ? nan : m;
    s_out = s;
}
