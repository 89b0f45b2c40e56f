// adagrad on NVIDIA GPUs: one launch for every tensor of one dtype; block b
// updates chunk b (see multi_tensor.cuh and spec.md for the arithmetic).
#include "multi_tensor.cuh"

template <typename T>
__device__ void adagrad(const long long* table, int ntensors, const long long* chunks,
                     const double* h) {
    typedef typename Compute<T>::type C;
    const long long* chunk = chunks + 3 * (long long)blockIdx.x;
    const long long tensor = chunk[0], lo = chunk[1], hi = chunk[2];
    T* p = role<T>(table, 0, ntensors, tensor);
    const T* g = role<T>(table, 1, ntensors, tensor);
    T* acc = role<T>(table, 2, ntensors, tensor);
    const C lr = (C)h[0], eps = (C)h[1], decay = (C)h[2];
    
    for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        C gi = to_compute(g[i]), pi = to_compute(p[i]);
        pi = pi - pi * decay;
        C ai = to_compute(acc[i]) + gi * gi;
        store(acc + i, ai);
        store(p + i, pi - (lr * gi) / sqrt(ai + eps));
    }
}

extern "C" {
__global__ void adagrad_float16(const long long* t, int n, const long long* c, const double* h) { adagrad<__half>(t, n, c, h); }
__global__ void adagrad_float32(const long long* t, int n, const long long* c, const double* h) { adagrad<float>(t, n, c, h); }
__global__ void adagrad_float64(const long long* t, int n, const long long* c, const double* h) { adagrad<double>(t, n, c, h); }
}
