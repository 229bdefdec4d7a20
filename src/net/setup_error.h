// Set-up failures: the one kind of error that stops a program of nat-lab
// before it does its work.
//
// Anything that keeps a component from starting (a bad command-line value,
// a missing interface, a namespace, netlink or pcap call the kernel refuses,
// a program that cannot be spawned) is thrown as a SetupError whose message
// already names what failed and why, errno text included. The program's
// main() prints it as one line ("nat-emu: ...", "nat-lab: ...") and exits 2.
// Nothing on a frame path or in a pure core throws one.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace natlab {

class SetupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "<what>: <strerror(err)>", for failed system calls.
inline SetupError system_error(const std::string& what, int err = errno) {
    return SetupError{what + ": " + std::strerror(err)};
}

[[noreturn]] inline void throw_errno(const std::string& what, int err = errno) {
    throw system_error(what, err);
}

}  // namespace natlab
