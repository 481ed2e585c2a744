#pragma once
// SIGINT/SIGTERM handling for long runs: the first signal sets a flag that training and
// dumping loops poll at step boundaries (finish the step, save, exit 75); a second one
// restores the default action so a stuck process can still be killed.
namespace posekd {

void install_interrupt_handlers();
bool interrupt_requested();
int interrupt_signal();        // the signal number received, 0 when none
void clear_interrupt_for_tests();

}  // namespace posekd
