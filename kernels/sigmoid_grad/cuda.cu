// sigmoid_grad on NVIDIA GPUs: out = dy * y * (1 - y), one thread per element
// (grid-stride loop). float16 is widened to float32 and rounded once.
#include <cuda_fp16.h>

__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline void store(__half* p, float v) { *p = __float2half(v); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }

template <typename T>
__device__ void sigmoid_grad(const T* y, const T* dy, T* out, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const auto d = widen(dy[i]);
        const auto yi = widen(y[i]);
        store(out + i, d * yi * (1 - yi));
    }
}

extern "C" {
__global__ void sigmoid_grad_float16(const __half* y, const __half* dy, __half* out, long long n) { sigmoid_grad(y, dy, out, n); }
__global__ void sigmoid_grad_float32(const float* y, const float* dy, float* out, long long n) { sigmoid_grad(y, dy, out, n); }
__global__ void sigmoid_grad_float64(const double* y, const double* dy, double* out, long long n) { sigmoid_grad(y, dy, out, n); }
}
