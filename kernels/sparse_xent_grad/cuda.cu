// The gradient of the sparse softmax cross-entropy on NVIDIA GPUs: one block
// per row (grid-stride over rows), the row's online (max, sum of exp), then
// out = (softmax - one_hot(label)) * g[row]. A label outside [0, depth) gives
// a row of nan.
#include "softmax_rows.cuh"

template <typename T>
__device__ void sparse_xent_grad(const T* x, const long long* labels, const T* g, T* out,
                                 long long rows, long long depth) {
    typedef typename Work<T>::type W;
    W inf, nan;
    special(inf, nan);
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + r * depth;
        W m, s;
        row_stats(row, depth, m, s);
        const long long label = labels[r];
        const bool valid = label >= 0 && label < depth;
        const W gr = widen(g[r]);
        for (long long j = threadIdx.x; j < depth; j += blockDim.x) {
            const W p = exp_(widen(row[j]) - m) / s;
            store(out + r * depth + j, valid ? (j == label ? p - 1 : p) * gr : nan);
        }
    }
}

extern "C" {
__global__ void sparse_xent_grad_float16(const __half* x, const long long* labels, const __half* g, __half* out, long long rows, long long depth) { sparse_xent_grad(x, labels, g, out, rows, depth); }
__global__ void sparse_xent_grad_float32(const float* x, const long long* labels, const float* g, float* out, long long rows, long long depth) { sparse_xent_grad(x, labels, g, out, rows, depth); }
__global__ void sparse_xent_grad_float64(const double* x, const long long* labels, const double* g, double* out, long long rows, long long depth) { sparse_xent_grad(x, labels, g, out, rows, depth); }
}
