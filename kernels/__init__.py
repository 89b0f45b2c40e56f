"""gpugrad's fused kernels: one folder each, holding spec.md, reference.py
(numpy), cpu.py (numba) and cuda.cu (CUDA C, loaded through CuPy). Installed
as ``gpugrad._kernels``; gpugrad/backend/kernels.py finds and loads them."""
