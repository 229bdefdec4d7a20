// Running independent set-up steps at once.
//
// Much of a lab's set-up time is the kernel waiting for RCU grace periods
// (a new network namespace, a packet socket bound or closed); done one after
// the other they add up, done in parallel threads they overlap. Each thread
// starts in the calling thread's network namespace and may switch its own.
#pragma once

#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace natlab::harness {

// Calls body(i) for i in [0, n) on n threads; rethrows the first failure
// (by index) once all have finished.
template <typename Body>
void parallel_for(std::size_t n, Body body) {
    std::vector<std::exception_ptr> errors(n);
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            try {
                body(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace natlab::harness
