#include "harness/lab/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
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

namespace {

// The calling thread's namespace's /proc/sys/net, as an O_PATH fd. Looked
// up through a proc instance of its own (a detached mount, attached
// nowhere, gone when its fd is closed): that instance's /proc/sys has only
// this one `net` entry beneath it, where the machine's /proc/sys has one per
// namespace ever looked at, all under one hash. Where a proc instance
// cannot be made, the machine's /proc.
int open_net_sysctls() {
    int fs = ::fsopen("proc", FSOPEN_CLOEXEC);
    int mnt = -1;
    if (fs >= 0 && ::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
        mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    if (fs >= 0) ::close(fs);
    int dir = mnt >= 0 ? ::openat(mnt, "sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (mnt >= 0) ::close(mnt);
    if (dir < 0) dir = ::open("/proc/sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) throw_errno("open /proc/sys/net");
    return dir;
}

}  // namespace

void write_net_sysctls(std::initializer_list<Sysctl> settings) {
    int dir = open_net_sysctls();
    for (auto [key, value] : settings) {
        std::string name(key);
        int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CLOEXEC);
        int err = errno;
        auto n = fd < 0 ? -1 : ::write(fd, value.data(), value.size());
        if (fd >= 0) err = errno, ::close(fd);
        if (n != static_cast<ssize_t>(value.size())) {
            ::close(dir);
            throw_errno((fd < 0 ? "open /proc/sys/net/" : "write /proc/sys/net/") + name, err);
        }
    }
    ::close(dir);
}

}  // namespace natlab::harness
