// `genesys-relay top`: the live view of a running relay, read from its own /metrics every
// interval and drawn in place on a terminal (metrics::render_top_frame draws it). q or Ctrl-C
// quits; --once prints one frame (two scrapes an interval apart) without terminal control codes.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <iostream>
#include <optional>

#include <termios.h>
#include <unistd.h>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "observability/scrape.hpp"
#include "observability/top_view.hpp"

namespace grm::app {

namespace asio = boost::asio;

namespace {

// Keys without Enter and no echo while the view runs; the terminal is restored on every exit.
class raw_terminal {
 public:
  raw_terminal() {
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~raw_terminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

struct top_session {
  const top_args& args;
  net::http_client& http;
  grm::secret token;
  std::optional<metrics::scrape> before;
  bool stopped = false;

  asio::awaitable<std::optional<metrics::scrape>> fetch(std::string& status) {
    net::http_request req;
    req.url = args.url + "/metrics";
    req.timeout = std::chrono::seconds{5};
    if (!token.empty()) req.headers.push_back({"Authorization", "Bearer " + std::string(token.reveal())});
    try {
      auto res = co_await http.send(std::move(req));
      if (res.status == 200) co_return metrics::parse_scrape(res.body);
      status = "GET /metrics answered HTTP " + std::to_string(res.status) +
               (res.status == 401 ? ": the relay wants its metrics.bearer_token (--token-file)" : "");
    } catch (const std::exception& e) {
      status = "cannot reach " + net::redacted_url(args.url) + ": " + e.what() + " (retrying)";
    }
    co_return std::nullopt;
  }

  // One frame: the scrape now against the one before (rates need two).
  asio::awaitable<std::string> frame() {
    std::string status;
    auto now = co_await fetch(status);
    auto title = net::redacted_url(args.url);
    if (title.ends_with('/')) title.pop_back();
    metrics::top_frame_input in{title, before ? &*before : nullptr, now ? &*now : nullptr,
                                args.interval_s, status};
    auto text = metrics::render_top_frame(in);
    if (now) before = std::move(now);
    co_return text;
  }
};

}  // namespace

int run_top(const top_args& args) {
  grm::secret token;
  if (!args.token_file.empty()) {
    auto t = read_secret_file(args.token_file);
    if (!t || t->empty()) {
      std::cerr << "genesys-relay top: cannot read a token from '" << args.token_file << "'\n";
      return 2;
    }
    token = std::move(*t);
  }
  asio::io_context ioc(1);
  net::http_client_options o;
  o.tls.verify_peer = !net::is_loopback_url(args.url);
  bool plain = args.url.starts_with("http://");
  if ((!plain && !args.url.starts_with("https://")) || (plain && !net::is_loopback_url(args.url))) {
    std::cerr << "genesys-relay top: --url " << net::redacted_url(args.url)
              << " must be http://127.0.0.1:PORT (loopback) or an https:// URL\n";
    return 2;
  }
  std::unique_ptr<net::http_client> http;
  try {
    http = std::make_unique<net::http_client>(ioc.get_executor(), o);
  } catch (const relay_error& e) {
    std::cerr << "genesys-relay top: " << e.what() << "\n";
    return 2;
  }
  top_session session{args, *http, std::move(token), {}, false};
  bool live = !args.once && ::isatty(STDOUT_FILENO);
  int code = 0;
  raw_terminal term_guard;
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::posix::stream_descriptor keys(ioc, ::dup(STDIN_FILENO));
  auto stop = [&] {
    session.stopped = true;
    signals.cancel();
    keys.cancel();
    ioc.stop();
  };
  signals.async_wait([&](auto ec, int) {
    if (!ec) stop();
  });
  std::function<void()> read_key = [&] {
    static char c;
    keys.async_read_some(asio::buffer(&c, 1), [&](auto ec, std::size_t n) {
      if (ec || n == 0) return;  // stdin closed (not a terminal): Ctrl-C still quits
      if (c == 'q' || c == 'Q') return stop();
      read_key();
    });
  };
  if (term_guard.active()) read_key();
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc);
    auto interval = std::chrono::milliseconds{static_cast<std::int64_t>(args.interval_s * 1000)};
    for (int n = 0; !session.stopped; ++n) {
      auto text = co_await session.frame();
      if (args.once && n == 0) {  // rates need a second scrape
        if (!session.before) {
          std::cerr << "genesys-relay top: " << text;
          code = 1;
          co_return stop();
        }
      } else if (args.once) {
        std::cout << text << std::flush;
        co_return stop();
      } else {
        std::cout << (live ? "\x1b[H\x1b[2J" : "") << text << (live ? "" : "\n") << std::flush;
      }
      t.expires_after(interval);
      co_await t.async_wait(asio::use_awaitable);
    }
  }, [](std::exception_ptr) {});
  ioc.run();
  if (live) std::cout << "\n";
  return code;
}

}  // namespace grm::app
