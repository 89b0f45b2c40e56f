// log_softmax over the last axis on NVIDIA GPUs: one block per row
// (grid-stride over rows), the row's online (max, sum of exp), then the outputs.
#include "softmax_rows.cuh"

template <typename T>
__device__ void log_softmax(const T* x, T* out, long long rows, long long depth) {
    typedef typename Work<T>::type W;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + r * depth;
        W m, s;
        row_stats(row, depth, m, s);
        const W log_s = log_(s);
        for (long long j = threadIdx.x; j < depth; j += blockDim.x)
            store(out + r * depth + j, (widen(row[j]) - m) - log_s);
    }
}

extern "C" {
__global__ void log_softmax_float16(const __half* x, __half* out, long long rows, long long depth) { log_softmax(x, out, rows, depth); }
__global__ void log_softmax_float32(const float* x, float* out, long long rows, long long depth) { log_softmax(x, out, rows, depth); }
__global__ void log_softmax_float64(const double* x, double* out, long long rows, long long depth) { log_softmax(x, out, rows, depth); }
}
