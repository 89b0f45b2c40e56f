// erf on NVIDIA GPUs, one thread per element (grid-stride loop).
// float16 is widened to float32 and rounded once on the way out.
#include <cuda_fp16.h>

extern "C" __global__ void erf_float32(const float* x, float* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        y[i] = erff(x[i]);
    }
}

extern "C" __global__ void erf_float64(const double* x, double* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        y[i] = erf(x[i]);
    }
}

extern "C" __global__ void erf_float16(const __half* x, __half* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        y[i] = __float2half(erff(__half2float(x[i])));
    }
}
