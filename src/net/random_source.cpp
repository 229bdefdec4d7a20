// secure_random(): the kernel CSPRNG via getrandom(2), retried on EINTR and
// on short reads. See random_source.h.
#include "src/net/random_source.h"

#include <sys/random.h>

#include <cerrno>

#include "src/net/invariant.h"

namespace natlab {

void secure_random(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0 && errno == EINTR) continue;
        NATLAB_INVARIANT(n > 0);
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace natlab
