// Many tensors, one launch (see _multi_tensor.py): block b updates chunk b,
// a range of one tensor, described by
//   table[role * ntensors + tensor]  the address of that role's buffer
//   chunks[3 * b + {0, 1, 2}]        tensor, start, stop
#pragma once
#include <cuda_fp16.h>

template <typename T> struct Compute { typedef T type; };
template <> struct Compute<__half> { typedef float type; };  // float16 in float32

__device__ inline float to_compute(__half x) { return __half2float(x); }
__device__ inline float to_compute(float x) { return x; }
__device__ inline double to_compute(double x) { return x; }
__device__ inline void store(__half* p, float x) { *p = __float2half(x); }
__device__ inline void store(float* p, float x) { *p = x; }
__device__ inline void store(double* p, double x) { *p = x; }

template <typename T>
__device__ inline T* role(const long long* table, int r, int ntensors, long long tensor) {
    return reinterpret_cast<T*>(table[(long long)r * ntensors + tensor]);
}
