// Where the pure cores get their randomness: a callable that fills a span.
// The programs pass secure_random (the kernel's CSPRNG); tests pass a
// deterministic counter so their expectations are byte-exact.
#pragma once

#include <cstddef>
#include <functional>
#include <span>

namespace natlab {

using RandomSource = std::function<void(std::span<std::byte>)>;

// getrandom(2): cryptographically secure, blocks only before the kernel's
// pool is first seeded. Aborts if the kernel refuses (broken invariant).
void secure_random(std::span<std::byte> out);

}  // namespace natlab
