// leaky_relu_grad on NVIDIA GPUs: out = x > 0 ? dy : alpha * dy, one thread
// per element (grid-stride loop). float16 is widened to float32 and rounded
// once; alpha arrives as a double and is rounded to the work type.
#include <cuda_fp16.h>

__device__ inline float widen(__half v) { return __half2float(v); }
__device__ inline float widen(float v) { return v; }
__device__ inline double widen(double v) { return v; }
__device__ inline void store(__half* p, float v) { *p = __float2half(v); }
__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(double* p, double v) { *p = v; }

template <typename T>
__device__ void leaky_relu_grad(const T* x, const T* dy, T* out, double alpha_, long long n) {
    typedef decltype(widen(dy[0])) W;
    const W alpha = (W)alpha_;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const W d = widen(dy[i]);
        store(out + i, widen(x[i]) > 0 ? d : d * alpha);
    }
}

extern "C" {
__global__ void leaky_relu_grad_float16(const __half* x, const __half* dy, __half* out, double alpha, long long n) { leaky_relu_grad(x, dy, out, alpha, n); }
__global__ void leaky_relu_grad_float32(const float* x, const float* dy, float* out, double alpha, long long n) { leaky_relu_grad(x, dy, out, alpha, n); }
__global__ void leaky_relu_grad_float64(const double* x, const double* dy, double* out, double alpha, long long n) { leaky_relu_grad(x, dy, out, alpha, n); }
}
