// sgd on NVIDIA GPUs: one launch for every tensor of one dtype; block b
// updates chunk b (see multi_tensor.cuh and spec.md for the arithmetic).
#include "multi_tensor.cuh"

template <typename T>
__device__ void sgd(const long long* table, int ntensors, const long long* chunks,
                     const double* h) {
    typedef typename Compute<T>::type C;
    const long long* chunk = chunks + 3 * (long long)blockIdx.x;
    const long long tensor = chunk[0], lo = chunk[1], hi = chunk[2];
    T* p = role<T>(table, 0, ntensors, tensor);
    const T* g = role<T>(table, 1, ntensors, tensor);
    T* m = role<T>(table, 2, ntensors, tensor);
    const C lr = (C)h[0], mu = (C)h[1], decay = (C)h[3];
    const bool nesterov = h[2] != 0;
    const bool has_m = h[4] != 0;
    for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        C gi = to_compute(g[i]), pi = to_compute(p[i]);
        pi = pi - pi * decay;
        if (has_m) {
            C mi = to_compute(m[i]) * mu - gi * lr;
            store(m + i, mi);
            pi = nesterov ? pi + (mi * mu - gi * lr) : pi + mi;
        } else {
            pi = pi - gi * lr;
        }
        store(p + i, pi);
    }
}

extern "C" {
__global__ void sgd_float16(const long long* t, int n, const long long* c, const double* h) { sgd<__half>(t, n, c, h); }
__global__ void sgd_float32(const long long* t, int n, const long long* c, const double* h) { sgd<float>(t, n, c, h); }
__global__ void sgd_float64(const long long* t, int n, const long long* c, const double* h) { sgd<double>(t, n, c, h); }
}
