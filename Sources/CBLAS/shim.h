// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). The header lives in the
// multiarch include folder, which is on the default search path.
#include <cblas.h>
