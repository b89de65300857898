#pragma once
// The tutorial's EventEmitter, type-checked at compile time: handlers subscribe to one event
// type (conversation_start, ..., unknown_event) and receive exactly that type.
// Not thread-safe: register handlers before routing starts; route from one strand.
#include <array>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/events.hpp"

namespace grm::pipeline {

template <typename T, typename Variant>
struct is_alternative;
template <typename T, typename... Ts>
struct is_alternative<T, std::variant<Ts...>> : std::disjunction<std::is_same<T, Ts>...> {};

class event_router final {
 public:
  template <typename Event>
  void on(std::function<void(const Event&)> handler) {
    static_assert(is_alternative<Event, lifecycle_event>::value,
                  "event_router::on<E>: E must be one of the lifecycle event types");
    constexpr auto index = variant_index<Event>();
    handlers_[index].push_back([h = std::move(handler)](const lifecycle_event& e) {
      h(std::get<Event>(e));
    });
  }
  // Every event, whatever its type (counters, printers).
  void on_any(std::function<void(const lifecycle_event&)> handler) {
    any_.push_back(std::move(handler));
  }

  void route(const lifecycle_event& event) const {
    for (auto& h : handlers_[event.index()]) h(event);
    for (auto& h : any_) h(event);
  }

 private:
  template <typename Event, std::size_t I = 0>
  static constexpr std::size_t variant_index() {
    if constexpr (std::is_same_v<Event, std::variant_alternative_t<I, lifecycle_event>>) return I;
    else return variant_index<Event, I + 1>();
  }

  std::array<std::vector<std::function<void(const lifecycle_event&)>>,
             std::variant_size_v<lifecycle_event>> handlers_;
  std::vector<std::function<void(const lifecycle_event&)>> any_;
};

}  // namespace grm::pipeline
