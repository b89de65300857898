#include "aws/credential_process.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

extern char** environ;

namespace grm::aws {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

[[noreturn]] void fail(const std::string& m) { throw relay_error(error_kind::auth, m); }

struct child {
  pid_t pid = -1;
  int stdout_fd = -1;
};

// The relay's environment without its own secrets (core/secret.hpp): the process gets what an
// AWS SDK would give it, not the Genesys client secret or the webhook tokens.
std::vector<char*> child_environment() {
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    if (!is_secret_variable(name)) env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

child spawn_shell(const std::string& command) {
  int fds[2];
  if (::pipe(fds) != 0) fail("credential_process: cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  auto env = child_environment();
  child c;
  int rc = posix_spawn(&c.pid, "/bin/sh", &actions, nullptr, argv, env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    fail("credential_process: cannot start /bin/sh");
  }
  c.stdout_fd = fds[0];
  return c;
}

asio::awaitable<void> read_all(asio::posix::stream_descriptor& in, std::string& out) {
  char buf[4096];
  for (;;) {
    auto [ec, n] = co_await in.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    out.append(buf, n);
    if (ec) co_return;  // EOF (the child closed its output) or an error: either way, done reading
    if (out.size() > (1u << 20)) co_return;
  }
}

asio::awaitable<void> expire(std::chrono::milliseconds timeout) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(timeout);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

asio::awaitable<std::string> run_credential_process(const std::string& command, std::chrono::milliseconds timeout) {
  auto c = spawn_shell(command);
  asio::posix::stream_descriptor in(co_await asio::this_coro::executor, c.stdout_fd);
  std::string out;
  auto which = co_await (read_all(in, out) || expire(timeout));
  bool timed_out = which.index() == 1;
  if (timed_out) ::kill(c.pid, SIGKILL);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) fail("credential_process did not finish within " + std::to_string(timeout.count()) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("credential_process exited with " +
         (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                            : "signal " + std::to_string(WTERMSIG(status))));
  co_return out;
}


}  // namespace grm::aws
