// adadelta on NVIDIA GPUs: one launch for every tensor of one dtype; block b
// updates chunk b (see multi_tensor.cuh and spec.md for the arithmetic).
#include "multi_tensor.cuh"

template <typename T>
__device__ void adadelta(const long long* table, int ntensors, const long long* chunks,
                     const double* h) {
    typedef typename Compute<T>::type C;
    const long long* chunk = chunks + 3 * (long long)blockIdx.x;
    const long long tensor = chunk[0], lo = chunk[1], hi = chunk[2];
    T* p = role<T>(table, 0, ntensors, tensor);
    const T* g = role<T>(table, 1, ntensors, tensor);
    T* ag = role<T>(table, 2, ntensors, tensor);
    T* ad = role<T>(table, 3, ntensors, tensor);
    const C lr = (C)h[0], rho = (C)h[1], one_minus_rho = (C)(1.0 - h[1]), eps = (C)h[2], decay = (C)h[3];
    
    for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        C gi = to_compute(g[i]), pi = to_compute(p[i]);
        pi = pi - pi * decay;
        C agi = rho * to_compute(ag[i]) + one_minus_rho * (gi * gi);
        store(ag + i, agi);
        C adi = to_compute(ad[i]);
        C delta = -(sqrt(adi + eps) * gi) / sqrt(agi + eps);
        store(ad + i, rho * adi + one_minus_rho * (delta * delta));
        store(p + i, pi + lr * delta);
    }
}

extern "C" {
__global__ void adadelta_float16(const long long* t, int n, const long long* c, const double* h) { adadelta<__half>(t, n, c, h); }
__global__ void adadelta_float32(const long long* t, int n, const long long* c, const double* h) { adadelta<float>(t, n, c, h); }
__global__ void adadelta_float64(const long long* t, int n, const long long* c, const double* h) { adadelta<double>(t, n, c, h); }
}
