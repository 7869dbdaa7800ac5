/*
 * host.c: the functions the Python host lends to the layers below it. The
 * loop, rounds and commands call these; the host (pyrun.c) registers the
 * real ones when it starts, so that calls only ever go down the layers.
 * With no host, Python steps fail and the rest does nothing.
 */
#include "hotload.h"

static const struct host *host;

/* Use h's functions from now on (NULL: no host any more). */
void
host_set(const struct host *h)
{
	host = h;
}

void
host_round_begin(unsigned long count, const struct filelist *fl,
                 const struct changes *chg, bool new_files)
{
	if (host != NULL)
		host->round_begin(count, fl, chg, new_files);
}

/* Run a --module step (or a module step of the Python API). */
enum step_status
host_module_step(struct round *r, struct step *s, char *detail, size_t len)
{
	if (host == NULL) {
		snprintf(detail, len, "no Python to run it");
		return STEP_FAILED;
	}
	return host->module_step(r, s, detail, len);
}

/* Run a step of the Python API that is neither a module nor a command. */
enum step_status
host_call_step(struct step *s, char *detail, size_t len)
{
	if (host == NULL) {
		snprintf(detail, len, "no Python to run it");
		return STEP_FAILED;
	}
	return host->call_step(s, detail, len);
}

/* hotload is about to wait: let the host's threads run meanwhile. */
void
host_begin_wait(void)
{
	if (host != NULL)
		host->begin_wait();
}

void
host_end_wait(void)
{
	if (host != NULL)
		host->end_wait();
}

/* Did the host see a Ctrl-C that is to end hotload? */
bool
host_interrupted(void)
{
	return host != NULL && host->interrupted();
}

/* Write out what the host buffered, so that output keeps its order. */
void
host_flush(void)
{
	if (host != NULL)
		host->flush();
}

/* --auto: the files of the modules imported join the watch (at start, and
 * after each round), and those no longer imported leave it. */
void
host_update_files(struct watch *w, const struct options *o)
{
	if (host != NULL && host->update_files != NULL)
		host->update_files(w, o);
}

/* Which of the files of chg the round's host code wrote (their wrote flag);
 * false if the host cannot tell, or there is none. */
bool
host_round_writes(struct filelist *fl, const struct changes *chg)
{
	return host != NULL && host->round_writes != NULL &&
	       host->round_writes(fl, chg);
}
