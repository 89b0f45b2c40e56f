// Adam on NVIDIA GPUs: one launch for every tensor of one dtype; block b
// updates chunk b (see multi_tensor.cuh and spec.md for the arithmetic).
#include "multi_tensor.cuh"

template <typename T>
__device__ void adam(const long long* table, int ntensors, const long long* chunks,
                     const double* h) {
    typedef typename Compute<T>::type C;
    const long long* chunk = chunks + 3 * (long long)blockIdx.x;
    const long long tensor = chunk[0], lo = chunk[1], hi = chunk[2];
    T* p = role<T>(table, 0, ntensors, tensor);
    const T* g = role<T>(table, 1, ntensors, tensor);
    T* m = role<T>(table, 2, ntensors, tensor);
    T* v = role<T>(table, 3, ntensors, tensor);
    T* vh = role<T>(table, 4, ntensors, tensor);
    const C alpha = (C)h[0], c1 = (C)h[1], c2 = (C)h[2], eps = (C)h[3], decay = (C)h[4];
    const bool amsgrad = h[5] != 0;
    for (long long i = lo + threadIdx.x; i < hi; i += blockDim.x) {
        C gi = to_compute(g[i]), pi = to_compute(p[i]);
        C mi = to_compute(m[i]), vi = to_compute(v[i]);
        pi = pi - pi * decay;
        mi = mi + (gi - mi) * c1;
        vi = vi + (gi * gi - vi) * c2;
        store(m + i, mi);
        store(v + i, vi);
        if (amsgrad) {
            C vhi = to_compute(vh[i]);
            vi = vhi > vi ? vhi : vi;
            store(vh + i, vi);
        }
        store(p + i, pi - (mi * alpha) / (sqrt(vi) + eps));
    }
}

extern "C" {
__global__ void adam_float16(const long long* t, int n, const long long* c, const double* h) { adam<__half>(t, n, c, h); }
__global__ void adam_float32(const long long* t, int n, const long long* c, const double* h) { adam<float>(t, n, c, h); }
__global__ void adam_float64(const long long* t, int n, const long long* c, const double* h) { adam<double>(t, n, c, h); }
}
