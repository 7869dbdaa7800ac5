/*
 * term.c: keys typed at the controlling terminal, read one at a time while
 * hotload waits, and the terminal's settings put back on every way out.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "hotload.h"

static int tty = -1;
static struct termios saved;

/*
 * Open the controlling terminal for keys: no echo, no line editing, each
 * key readable at once (Ctrl-C still sends SIGINT). Returns its descriptor,
 * or -1 if there is no terminal, which is not an error.
 */
int
term_open_keys(void)
{
	struct termios t;

	tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (tty == -1)
		return -1;
	if (tcgetattr(tty, &saved) != 0) {
		close(tty);
		return tty = -1;
	}
	t = saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(tty, TCSANOW, &t) != 0) {
		close(tty);
		return tty = -1;
	}
	atexit(term_restore);
	return tty;
}

/* Put the terminal's settings back as they were. */
void
term_restore(void)
{
	if (tty != -1)
		tcsetattr(tty, TCSANOW, &saved);
}
