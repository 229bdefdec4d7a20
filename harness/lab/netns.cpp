#include "harness/lab/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <utility>

#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

int open_own_netns() {
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open /proc/thread-self/ns/net");
    return fd;
}

}  // namespace

NetNs NetNs::current() {
    return NetNs(open_own_netns());
}

NetNs NetNs::create() {
    NetNs saved = current();
    if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET)");
    NetNs created(open_own_netns());
    if (::setns(saved.fd(), CLONE_NEWNET) != 0) throw_errno("setns back to the switch namespace");
    return created;
}

NetNs::NetNs(NetNs&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

NetNs& NetNs::operator=(NetNs&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

NetNs::~NetNs() {
    if (fd_ >= 0) ::close(fd_);
}

EnterNetNs::EnterNetNs(const NetNs& target) : saved_(NetNs::current()) {
    if (::setns(target.fd(), CLONE_NEWNET) != 0) throw_errno("setns(CLONE_NEWNET)");
}

EnterNetNs::~EnterNetNs() {
    ::setns(saved_.fd(), CLONE_NEWNET);
}

void write_sysctl(const std::string& key, const std::string& value) {
    auto path = "/proc/sys/" + key;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + path);
    auto n = ::write(fd, value.data(), value.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) throw_errno("write " + path, err);
}

}  // namespace natlab::harness
