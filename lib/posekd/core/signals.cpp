#include "posekd/core/signals.h"

#include <csignal>

namespace posekd {
namespace {
volatile std::sig_atomic_t received = 0;

extern "C" void on_signal(int sig) {
  if (received != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  received = sig;
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return received != 0; }
int interrupt_signal() { return received; }
void clear_interrupt_for_tests() { received = 0; }

}  // namespace posekd
