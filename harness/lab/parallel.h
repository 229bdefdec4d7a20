// Running independent set-up steps at once.
//
// Much of a lab's set-up time is the kernel waiting for RCU grace periods
// (a new network namespace, a packet socket bound or closed); done one after
// the other they add up, done in parallel threads they overlap. Each thread
// starts in the calling thread's network namespace and may switch its own.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace natlab::harness {

// At most this many threads at once: enough to overlap the grace periods,
// few enough that a lab of 4,000 namespaces does not start 4,000 threads
// that queue on the kernel's rtnl lock.
inline constexpr std::size_t kSetupThreads = 64;

// Calls body(i) for every i in [0, n), on up to kSetupThreads threads that
// take the next index as they finish one; rethrows the first failure (by
// index) once all have finished.
template <typename Body>
void parallel_for(std::size_t n, Body body) {
    std::vector<std::exception_ptr> errors(n);
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                body(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(std::min(n, kSetupThreads));
    for (std::size_t t = 0; t < std::min(n, kSetupThreads); ++t) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace natlab::harness
