// Checked invariants that stay on in release builds.
//
// A broken invariant is a bug in nat-lab, never bad input from the wire:
// wire input is validated and dropped where it is parsed. When one breaks,
// the process names the expression and where it lives, then aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define NATLAB_INVARIANT(expr)                                                                \
    do {                                                                                      \
        if (!(expr)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #expr); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (false)
