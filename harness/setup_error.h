// Set-up failures: anything the lab could not build (namespaces, netlink,
// pcap, processes). They carry the context and errno text and are reported
// to the user as one line; the run then exits 2.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace natlab::harness {

class SetupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_errno(const std::string& what, int err = errno) {
    throw SetupError(what + ": " + std::strerror(err));
}

}  // namespace natlab::harness
