// The sparse softmax cross-entropy on NVIDIA GPUs: one block per row
// (grid-stride over rows), the row's online (max, sum of exp), then thread 0
// writes the row's loss. A label outside [0, depth) gives nan.
#include "softmax_rows.cuh"

template <typename T>
__device__ void sparse_xent(const T* x, const long long* labels, T* loss, long long rows,
                            long long depth) {
    typedef typename Work<T>::type W;
    W inf, nan;
    special(inf, nan);
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + r * depth;
        W m, s;
        row_stats(row, depth, m, s);
        if (threadIdx.x == 0) {
            const long long label = labels[r];
            const bool valid = label >= 0 && label < depth;
            store(loss + r, valid ? log_(s) - (widen(row[valid ? label : 0]) - m) : nan);
        }
    }
}

extern "C" {
__global__ void sparse_xent_float16(const __half* x, const long long* labels, __half* loss, long long rows, long long depth) { sparse_xent(x, labels, loss, rows, depth); }
__global__ void sparse_xent_float32(const float* x, const long long* labels, float* loss, long long rows, long long depth) { sparse_xent(x, labels, loss, rows, depth); }
__global__ void sparse_xent_float64(const double* x, const long long* labels, double* loss, long long rows, long long depth) { sparse_xent(x, labels, loss, rows, depth); }
}
