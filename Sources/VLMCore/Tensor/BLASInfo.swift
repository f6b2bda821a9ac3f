import CBLAS

extension BLAS {
    /// The OpenBLAS linked at run time: its build configuration (`openblas_get_config`, e.g.
    /// `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`) and the kernel set it chose for
    /// this CPU (`openblas_get_corename`), for `vlmnode doctor`.
    public static var libraryInfo: (config: String, coreName: String) {
        (String(cString: openblas_get_config()), String(cString: openblas_get_corename()))
    }
}
