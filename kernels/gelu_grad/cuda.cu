// gelu_grad on NVIDIA GPUs, one thread per element (grid-stride loop); see
// spec.md for both forms. float16 is widened to float32 and rounded once.
#include <cuda_fp16.h>

__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline void store(__half* p, float v) { *p = __float2half(v); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }
__device__ inline float erf_(float v) { return erff(v); }
__device__ inline double erf_(double v) { return erf(v); }
__device__ inline float exp_(float v) { return expf(v); }
__device__ inline double exp_(double v) { return exp(v); }

template <typename T>
__device__ void gelu_grad(const T* x, const T* dy, T* out, int approximate, long long n) {
    typedef decltype(widen(x[0])) W;
    const W half = 0.5, one = 1, two = 2;
    const W c = 0.79788456080286535588, k = 0.044715, k3 = 3 * 0.044715;  // c = sqrt(2 / pi)
    const W inv_sqrt2 = 0.70710678118654752440, inv_sqrt_2pi = 0.39894228040143267794;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const W v = widen(x[i]);
        W g;
        if (approximate) {
            const W v2 = v * v;
            const W u = c * (v + k * v2 * v);
            const W q = exp_(-two * (u < 0 ? -u : u));
            const W r = one / (one + q);
            const W one_plus_t = two * r * (u >= 0 ? one : q);
            const W sech2 = two * two * q * r * r;
            const W du = c * (one + k3 * v2);
            g = half * one_plus_t + half * v * sech2 * du;
        } else {
            const W cdf = half * (one + erf_(v * inv_sqrt2));
            const W pdf = exp_(-half * v * v) * inv_sqrt_2pi;
            g = cdf + v * pdf;
        }
        store(out + i, widen(dy[i]) * g);
    }
}

extern "C" {
__global__ void gelu_grad_float16(const __half* x, const __half* dy, __half* out, int approximate, long long n) { gelu_grad(x, dy, out, approximate, n); }
__global__ void gelu_grad_float32(const float* x, const float* dy, float* out, int approximate, long long n) { gelu_grad(x, dy, out, approximate, n); }
__global__ void gelu_grad_float64(const double* x, const double* dy, double* out, int approximate, long long n) { gelu_grad(x, dy, out, approximate, n); }
}
