// Setup failures: the one kind of error nat-emu reports and exits on.
//
// Anything that stops the emulator from starting (a bad command-line value,
// a missing interface, a socket the kernel refuses) is thrown as a
// SetupError whose message already names what failed and why, errno text
// included; main() prints it as one line "nat-emu: <message>" and exits 2.
// Nothing on the frame path throws one.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace natlab::nat {

struct SetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "<what>: <strerror(err)>", for failed system calls.
inline SetupError system_error(const std::string& what, int err = errno) {
    return SetupError{what + ": " + std::strerror(err)};
}

}  // namespace natlab::nat
