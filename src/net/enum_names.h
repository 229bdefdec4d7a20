// Checked name tables for enum classes.
//
// Every enum that appears on the command line, in the event log or in a drop
// reason has one table of {value, text} rows, written in declaration order.
// `names_in_order` is evaluated in a static_assert next to each table, so a
// row that is missing, duplicated or out of order fails the build instead of
// printing the wrong word at run time. The other checked form is a switch
// over an enum class with no default: the build has -Werror=switch, so a
// missing case fails it too (to_string(stun::DecodeError), src/server's
// mapping of decode errors onto drop reasons).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace natlab::nat {

template <class E>
struct EnumName {
    E value;
    std::string_view text;
};

// True when row i names the enumerator whose underlying value is i, and the
// table covers every enumerator up to and including `last`.
template <class E, std::size_t N>
constexpr bool names_in_order(const std::array<EnumName<E>, N>& table, E last) {
    for (std::size_t i = 0; i < N; ++i)
        if (static_cast<std::size_t>(table[i].value) != i || table[i].text.empty()) return false;
    return static_cast<std::size_t>(last) + 1 == N;
}

template <class E, std::size_t N>
constexpr std::string_view name_of(const std::array<EnumName<E>, N>& table, E value) {
    auto i = static_cast<std::size_t>(value);
    return i < N ? table[i].text : std::string_view{"?"};
}

template <class E, std::size_t N>
constexpr std::optional<E> value_of(const std::array<EnumName<E>, N>& table, std::string_view text) {
    for (const auto& row : table)
        if (row.text == text) return row.value;
    return std::nullopt;
}

}  // namespace natlab::nat
