// rmsprop on NVIDIA GPUs: one launch for every tensor of one dtype; block b
// updates chunk b (see multi_tensor.cuh and spec.md for the arithmetic).
#include "multi_tensor.cuh"

template <typename T>
__device__ void rmsprop(const long long* table, int ntensors, const long long* chunks,
                     const double* h) {
    typedef typename Compute<T>::type C;
    const long long* chunk = chunks + 3 * (long long)blockIdx.x;
    const long long tensor = chunk[0], lo = chunk[1], hi = chunk[2];
    T* p = role<T>(table, 0, ntensors, tensor);
    const T* g = role<T>(table, 1, ntensors, tensor);
    T* v = role<T>(table, 2, ntensors, tensor);
    T* m = role<T>(table, 3, ntensors, tensor);
    T* a = role<T>(table, 4, ntensors, tensor);
    const C lr = (C)h[0], rho = (C)h[1], one_minus_rho = (C)(1.0 - h[1]), mu = (C)h[2], eps = (C)h[3], decay = (C)h[4];
    const bool has_m = h[5] != 0;
    const bool centered = h[6] != 0;
    for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        C gi = to_compute(g[i]), pi = to_compute(p[i]);
        pi = pi - pi * decay;
        C vi = rho * to_compute(v[i]) + one_minus_rho * (gi * gi);
        store(v + i, vi);
        C den;
        if (centered) {
            C ai = rho * to_compute(a[i]) + one_minus_rho * gi;
            store(a + i, ai);
            den = vi - ai * ai + eps;
        } else {
            den = vi + eps;
        }
        C inc = (lr * gi) / sqrt(den);
        if (has_m) {
            C mi = mu * to_compute(m[i]) + inc;
            store(m + i, mi);
            store(p + i, pi - mi);
        } else {
            store(p + i, pi - inc);
        }
    }
}

extern "C" {
__global__ void rmsprop_float16(const long long* t, int n, const long long* c, const double* h) { rmsprop<__half>(t, n, c, h); }
__global__ void rmsprop_float32(const long long* t, int n, const long long* c, const double* h) { rmsprop<float>(t, n, c, h); }
__global__ void rmsprop_float64(const long long* t, int n, const long long* c, const double* h) { rmsprop<double>(t, n, c, h); }
}
