// Network namespaces held by file descriptors.
//
// Theory of operation: a NetNs owns an fd on /proc/thread-self/ns/net; the
// namespace lives as long as some fd or process holds it, so when the lab's
// init process dies every namespace it created dies with it. Nothing is
// mounted under /run/netns: the lab never names its namespaces in the
// machine's filesystem. EnterNetNs switches only the calling thread, and
// switches back when it goes out of scope.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace natlab::harness {

class NetNs {
public:
    static NetNs create();   // a fresh namespace; the calling thread stays where it was
    static NetNs current();  // the calling thread's namespace

    NetNs(NetNs&& other) noexcept;
    NetNs& operator=(NetNs&& other) noexcept;
    NetNs(const NetNs&) = delete;
    NetNs& operator=(const NetNs&) = delete;
    ~NetNs();

    int fd() const { return fd_; }

private:
    explicit NetNs(int fd) : fd_(fd) {}
    int fd_ = -1;
};

class EnterNetNs {
public:
    explicit EnterNetNs(const NetNs& target);
    ~EnterNetNs();
    EnterNetNs(const EnterNetNs&) = delete;
    EnterNetNs& operator=(const EnterNetNs&) = delete;

private:
    NetNs saved_;
};

// Writes a sysctl of the calling thread's network namespace,
// e.g. write_sysctl("net/ipv4/ip_forward", "0").
void write_sysctl(const std::string& key, const std::string& value);

// Writes sysctls under net/ of the calling thread's network namespace,
// looking /proc/sys/net up once: every namespace has its own `net` entry
// under the one /proc/sys directory, so that lookup costs as much as there
// are namespaces on the machine, and a big lab that paid it per sysctl
// spent its set-up comparing directory names (each key relative, like
// "ipv4/ip_forward").
using Sysctl = std::pair<std::string_view, std::string_view>;
void write_net_sysctls(std::initializer_list<Sysctl> settings);

}  // namespace natlab::harness
