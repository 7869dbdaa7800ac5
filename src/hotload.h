/* hotload.h: the types and functions shared by hotload's source files. */
#ifndef HOTLOAD_H
#define HOTLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses; signals end hotload by the signal itself (128 + N). */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* util.c */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
void *grow_zeroed(void *, size_t *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int64_t now_ns(void);
int64_t mono_ns(void);
int64_t cpu_ns(void);
uint64_t hash_bytes(uint64_t, const void *, size_t);
void hl_msg(const char *, ...) __attribute__((format(printf, 1, 2)));
void hl_put(const char *);
char *hl_escape(char *, size_t, const char *);
size_t utf8_len(const char *);

/* A string-keyed hash table of size_t values; keys are borrowed. */
struct strmap {
	const char **keys;
	size_t *vals;
	size_t cap;
	size_t len;
};
#define STRMAP_NONE ((size_t)-1)
size_t strmap_get(const struct strmap *, const char *);
void strmap_put(struct strmap *, const char *, size_t);
void strmap_free(struct strmap *);

/* options.c */
enum step_kind {
	STEP_MODULE, /* import or reload a module (--module) */
	STEP_RUN,    /* run a shell command (--run) */
	STEP_CLEAR,  /* clear the terminal (the Python API's ClearTerminal) */
	STEP_CALL,   /* call a Python step's run() (the Python API) */
};

/* How a step's last run went, for the status line and --events. */
struct step_result {
	int status;        /* its enum step_status, or -1: it did not run */
	int64_t took_ns;   /* how long it ran */
	char detail[256];  /* what the status line says of it, if not ok */
	/* A Python exception that failed it (pyrun.c): its type and str(),
	 * and the innermost place in the user's code (line 0: none). */
	char error_type[128];
	char error_message[1024];
	char error_file[4096];
	long error_line;
};

struct step {
	enum step_kind kind;
	const char *arg;       /* module name as given, or shell command */
	char *label;           /* how the status line names the step */
	char *module;          /* dotted module name (STEP_MODULE) */
	char *syspath;         /* directory to put on sys.path, or NULL */
	const char *pre_hook;  /* function called before a reload */
	const char *post_hook; /* function called after import or reload */
	void *obj;             /* the Python object that runs the step */
	pid_t group;           /* -r: the process group of its last run */
	struct step_result result;
};

/* --color: when status lines are in colour. */
enum color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct options {
	struct step *steps;
	size_t nsteps;
	char **paths; /* FILE and DIR arguments */
	size_t npaths;
	char **exts; /* endings kept from directories and stdin, with dot */
	size_t nexts;
	bool null_sep;
	bool clear;
	bool postpone;
	bool once;
	bool quiet;
	bool verbose;
	bool recursive; /* reload changed modules before their dependents */
	bool auto_files; /* watch the files of the modules imported (--auto) */
	bool no_patch;  /* reload plainly: old objects keep the old code */
	bool repl;
	bool non_interactive; /* no keys from the terminal */
	bool restart;         /* a change stops a step that still runs */
	int stop_signal;      /* how to stop a command */
	double kill_after;    /* seconds before SIGKILL follows it */
	double interval_ms;
	const char *watcher; /* auto, inotify or poll */
	char **ignores;      /* --ignore patterns (borrowed from argv) */
	size_t nignores;
	bool no_ignore;      /* only hidden names are left out of DIRs */
	bool pdb;            /* debug a failed Python step post-mortem */
	enum color color;
	const char *events; /* --events: the file a JSON line per round goes
			     * to (absolute once hotload starts), or NULL */
};

enum parse_result { PARSE_OK, PARSE_EXIT, PARSE_ERROR };

void options_init(struct options *);
enum parse_result options_parse(struct options *, int, char **, FILE *);
void options_free(struct options *);
void options_usage(FILE *);
bool options_has_module(const struct options *);

/* fstate.c: what a file looked like when it was last seen. */
struct fstate {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	mode_t mode;
	bool exists;
	bool racy;     /* changed too recently for its stat to be trusted */
	uint64_t hash; /* content hash, kept while racy */
};

enum fchange { FS_SAME, FS_CHANGED, FS_GONE };

void fstate_read(struct fstate *, const char *, int64_t);
enum fchange fstate_update(struct fstate *, const char *, int64_t);

/* ignore.c: what walking a directory leaves out (gitignore(5) rules). */
struct ignore;
struct ignore_dir;

struct ignore *ignore_new(const char *);
void ignore_configure(struct ignore *, char *const *, size_t, bool);
void ignore_free(struct ignore *);
/* What a directory holds, for ignore_enter (from ignore_mark). */
#define IGNORE_LISTED 1    /* its names were read: the marks below hold */
#define IGNORE_DOTGIT 2    /* .git: a work tree's top */
#define IGNORE_GITIGNORE 4 /* .gitignore */
#define IGNORE_DOTIGNORE 8 /* .ignore */

struct ignore_dir *ignore_at(struct ignore *, const char *);
struct ignore_dir *ignore_enter(struct ignore *, const char *, unsigned);
unsigned ignore_mark(const char *);
bool ignore_test(struct ignore *, struct ignore_dir *, const char *, bool);
bool ignore_hidden(const char *);
bool ignore_glob(const char *, const char *);
bool ignore_tally(const struct ignore *, size_t, const char **, size_t *,
		  size_t *);
void ignore_tally_clear(struct ignore *);

/* filelist.c: the files hotload watches, and their directories. */
struct entry {
	char *path;       /* absolute, with "." and "//" removed */
	const char *name; /* as shown to the user: relative to the current
			   * directory, or path itself */
	bool own_name;    /* name is not a part of path, and freed with it */
	bool saved;       /* it changed once while no round ran: the user's */
	unsigned during;  /* rounds in a row it changed while they ran */
	unsigned long during_at; /* the last of them */
	unsigned long others_at; /* a round it changed in, while the round's
				  * steps are known not to have written it */
	bool wrote;       /* the last round's Python code wrote it */
	size_t dir;       /* its directory, in filelist.dirs */
	bool appeared;    /* new, or back, since the last round */
	bool went;        /* it went away in this burst */
	bool wait_back;   /* gone, it runs no round until it is back (the
			   * file of a --module) */
	bool by_module;   /* joined as the file of a module imported (--auto),
			   * not named or found in a DIR */
	bool idle;        /* by_module, but no module imports it now: its
			   * changes start no round */
	struct fstate st;
};

struct wdir {
	char *path;
	struct fstate st; /* a changed directory is read again */
	int wd;           /* the backend's watch on it, or -1 */
	bool root;        /* below a DIR argument: new files here are watched */
};

struct filelist {
	struct entry *v;
	size_t n;
	size_t cap;
	struct strmap index; /* path -> position in v */
	struct wdir *dirs;
	size_t ndirs;
	size_t capdirs;
	struct strmap dirindex; /* path -> position in dirs */
	char *cwd;
	size_t cwdlen;
	char *const *exts;
	size_t nexts;
	size_t nreported; /* paths that could not be looked at, said so */
	struct ignore *ignore; /* what walking a directory leaves out */
	bool verbose;          /* say what the ignore rules left out */
	char **offers;         /* files of modules being imported (--auto),
				* offered from any thread */
	size_t noffers;
	size_t capoffers;
};

int filelist_init(struct filelist *, char *const *, size_t);
void filelist_ignore(struct filelist *, const struct options *);
void filelist_free(struct filelist *);
int filelist_add(struct filelist *, const char *, bool);
int filelist_read(struct filelist *, FILE *, int);
void filelist_report_rest(struct filelist *);
size_t filelist_stat_all(struct filelist *);
bool filelist_has(struct filelist *, const char *);
size_t filelist_dir(struct filelist *, const char *, bool);
void filelist_discover(struct filelist *, size_t, const char *);
void filelist_rescan(struct filelist *, size_t);
size_t filelist_join(struct filelist *, const char *);
size_t filelist_modules(struct filelist *, char *const *, size_t, bool);
bool filelist_offer(struct filelist *, const char *);
size_t filelist_take_offers(struct filelist *);
char *path_join_clean(const char *, size_t, const char *);

/* watch.c: the set of files changed since the last round. */
struct changes {
	size_t *idx;
	size_t n;
	size_t cap;
	unsigned char *mark; /* one per file: already in idx */
	size_t nmark;
};

void changes_add(struct changes *, size_t);
void changes_clear(struct changes *);
void changes_free(struct changes *);
size_t changes_settle(struct changes *, struct filelist *, bool, bool);

/* watch_fs.c: which file systems tell of every change (statfs on Linux). */
enum watch_fs {
	WATCH_FS_UNKNOWN, /* not looked at yet, or it cannot be */
	WATCH_FS_LOCAL,   /* every change passes through this kernel */
	WATCH_FS_REMOTE,  /* changes made on its other side send no event */
};

enum watch_fs watch_fs_kind(const char *, char *, size_t);
void watch_fs_refresh(const char *);

/* watch.c: waiting for files to change, with a backend per mechanism. */
struct watch;

/* How a wait for changes ended. */
enum watch_result {
	WATCH_TIMEOUT, /* nothing changed in time */
	WATCH_CHANGED, /* files changed: they are in the set */
	WATCH_SIGNAL,  /* a signal arrived */
	WATCH_INPUT,   /* the input descriptor is readable */
};

/* The file system of a watched directory (watch_classify). */
struct wfs {
	unsigned char kind; /* enum watch_fs */
	bool told;          /* its polling, or lack of it, was told */
	char name[30];      /* its type, as watch_fs_kind names it */
};

/* How many of the files that changed last are polled at the full rate. */
#define WATCH_RECENT 16

struct watch_backend {
	const char *name;
	int (*open)(struct watch *);
	enum watch_result (*wait)(struct watch *, int, int64_t,
				  struct changes *);
	enum watch_result (*settle)(struct watch *, struct changes *, int64_t);
	void (*close)(struct watch *);
	/* Files joined the list from a position on, or came back to it
	 * (--auto): watch them too; NULL if looking at every file does. */
	void (*join)(struct watch *, size_t);
};

struct watch {
	const struct watch_backend *be;
	struct filelist *files;
	bool quiet;           /* no messages about files coming and going */
	bool verbose;         /* say how the files are watched */
	bool can_fall_back;   /* to polling, if the backend cannot serve */
	int64_t interval_ns;  /* the polling interval asked for */
	int64_t settle_ns;    /* quiet time that ends a burst of changes */
	bool burst;           /* changes went on while the last round ran */
	bool joined;          /* new files joined the list in this burst */
	int64_t sweep_cost_ns; /* how long the last sweep took */
	char *git_lock;       /* the index.lock of the git work tree the
			       * files are in: git is busy while it exists */
	void *priv;           /* the backend's own state */
	bool poll_remote;     /* also poll the files on remote file systems */
	struct wfs *fs;       /* per directory (up to nfs): its file system */
	size_t nfs;
	unsigned remote_gen;  /* counts directories found to be remote */
	bool told_remote;     /* the remote directories at start were told */
	size_t recent[WATCH_RECENT]; /* the files that changed last */
	size_t nrecent;              /* changes recent has taken in all */
};

const struct watch_backend *watch_backend_find(const char *);
const char *watch_backend_names(void);
struct watch *watch_open(struct filelist *, const struct options *);
void watch_close(struct watch *);
enum watch_result watch_wait(struct watch *, int, int64_t, struct changes *);
enum watch_result watch_settle(struct watch *, struct changes *);
int64_t watch_quiet_ns(const struct watch *, const struct changes *);
int watch_sweep(struct watch *, struct changes *);
int watch_update(struct watch *, size_t, int64_t, struct changes *);
int watch_adopt(struct watch *, size_t, struct changes *);
void watch_join(struct watch *, size_t);
bool watch_look_dir(struct watch *, size_t);
void watch_classify(struct watch *, bool);
bool watch_remote(const struct watch *, size_t);
void watch_tell_remote(struct watch *);

/*
 * watch_poll.c: a set of files polled, every file or those on remote file
 * systems: the ones that changed last and the --module files at the full
 * rate, the others as often as 1/25 of a core allows.
 */
struct pollset;

struct pollset *pollset_new(struct watch *, bool);
void pollset_free(struct pollset *);
size_t pollset_sync(struct pollset *);
int64_t pollset_next(const struct pollset *);
int pollset_look_due(struct pollset *, struct changes *);
int pollset_look_last(struct pollset *, struct changes *,
		      const struct changes *);

extern const struct watch_backend watch_poll_backend;
#ifdef HAVE_INOTIFY
extern const struct watch_backend watch_inotify_backend;
#endif

/* sig.c: signals that end hotload, and the pipe that wakes it. */
int sig_init(bool, bool);
void sig_restore(void);
void sig_set_interrupt(void (*)(void));
void sig_reclaim(void);
int sig_stop_signal(void);
bool sig_own(void);
unsigned long sig_int_count(void);
int sig_last(void);
int sig_wake_fd(void);
void sig_drain(void);
void sig_rewake(void);
/* What ended a sig_poll. */
enum wake {
	WAKE_TIMEOUT,
	WAKE_FD,     /* the first descriptor is readable */
	WAKE_FD2,    /* the second one is */
	WAKE_SIGNAL, /* a signal arrived */
};
enum wake sig_poll(int, int, int64_t);
void sig_watch_output(bool);
int sig_caught(void);
void sig_note(int);
void sig_forget(int);
_Noreturn void sig_exit(int);

/* How a step went; a worse one has a higher value. */
enum step_status {
	STEP_OK,
	STEP_FAILED,
	STEP_RESTART,     /* a change stopped it (--restart) */
	STEP_INTERRUPTED, /* a signal asked hotload to end */
};

struct round;

/*
 * host.c: what rounds, commands and the loop ask of the Python host. The
 * host registers its functions at start (host_set); without one, Python
 * steps fail and the rest does nothing, so the layers below need no Python.
 */
struct host {
	/* A round starts: round number, files, changes, files appeared. */
	void (*round_begin)(unsigned long, const struct filelist *,
			    const struct changes *, bool);
	enum step_status (*module_step)(struct round *, struct step *, char *,
					size_t);
	enum step_status (*call_step)(struct step *, char *, size_t);
	void (*begin_wait)(void); /* hotload waits: let Python threads run */
	void (*end_wait)(void);
	bool (*interrupted)(void); /* did Python take a Ctrl-C meanwhile? */
	void (*flush)(void);       /* write out what Python buffered */
	/* --auto: at start and after each round, the files of the modules
	 * imported join the watch, and those no longer imported leave. */
	void (*update_files)(struct watch *, const struct options *);
	/* The round's steps are over: set the wrote flag of each file of the
	 * changes to whether the host's code wrote it; false if it cannot
	 * tell. */
	bool (*round_writes)(struct filelist *, const struct changes *);
};

void host_set(const struct host *);
void host_round_begin(unsigned long, const struct filelist *,
		      const struct changes *, bool);
enum step_status host_module_step(struct round *, struct step *, char *,
				  size_t);
enum step_status host_call_step(struct step *, char *, size_t);
void host_begin_wait(void);
void host_end_wait(void);
bool host_interrupted(void);
void host_flush(void);
void host_update_files(struct watch *, const struct options *);
bool host_round_writes(struct filelist *, const struct changes *);

/* command.c: --run steps. */
enum step_status command_run(struct round *, struct step *,
			     const struct changes *, char *, size_t);
void command_stop_all(const struct options *);

/* term.c: keys typed at the controlling terminal. */
int term_open_keys(void);
void term_restore(void);

/* round.c: one round of steps. */
struct round {
	const struct options *opt;
	struct filelist *files;
	struct watch *w;         /* watched while a step runs (--restart) */
	struct changes *pending; /* where changes seen meanwhile go */
	unsigned long count;
	bool stdin_null; /* commands read /dev/null, not our stdin */
	int64_t start;   /* when the round began (monotonic) */
	int64_t wall;    /* the same, on the wall clock */
	const struct changes *chg; /* what it runs for */
	bool ran_command; /* a --run command ran: what it wrote is unknown */
};

enum step_status round_run(struct round *, const struct changes *, bool);
enum step_status round_report(struct round *, enum step_status);
void round_clear_terminal(void);

/* events.c: --events, a line of JSON per round. */
void events_write(const char *, const struct round *, int);

/* loop.c: rounds as files change. */
enum loop_result {
	LOOP_ROUND,   /* a round ran */
	LOOP_QUIT,    /* q was typed */
	LOOP_INPUT,   /* input is waiting on input_fd, or the time is up */
	LOOP_STOPPED, /* a signal asked hotload to stop */
};

struct loop {
	struct watch *w;
	struct round r;
	struct changes next;        /* the changes for the next round */
	int chain;                  /* rounds in a row their forerunner began */
	unsigned long chain_from;   /* the round that began that chain */
	bool late;                  /* a change came after the steps ended */
	int input_fd;               /* keys, or the prompt's input; or -1 */
	bool keys;                  /* input_fd is the terminal, for keys */
	bool prompt;     /* the prompt waits: a Ctrl-C is the prompt's */
	bool prompt_int; /* a wait ended for such a Ctrl-C */
	void (*before_round)(void); /* the prompt makes room for output */
	void (*after_round)(void);  /* and shows itself again */
};

void loop_init(struct loop *, const struct options *, struct filelist *,
	       struct watch *);
enum step_status loop_first_round(struct loop *);
enum loop_result loop_next(struct loop *, int64_t, enum step_status *);
enum loop_result loop_run(struct loop *, bool, enum step_status *);
void loop_free(struct loop *);
bool loop_stopping(enum watch_result);

/* pyauto.c: --auto, the files of the modules the program imports. */
void pyauto_update(struct watch *, const struct options *);

/* pywrites.c: the files the Python code of a round wrote. */
void pywrites_begin(void);
bool pywrites_end(struct filelist *, const struct changes *);

/* pyrun.c: Python code in rounds, in the program and in the extension. */
void pyrun_attach(void *, struct filelist *);
void pyrun_detach(void);
bool pyrun_active(void);
struct filelist *pyrun_files(void);
void pyrun_begin_wait(void);
void pyrun_end_wait(void);
void pyrun_flush(void);
long pyrun_exit_status(void);
void pyrun_note_interrupt(void);
#ifdef Py_PYTHON_H
void pyrun_report_failure(const char *, PyObject *);
#endif

/* pyhost.c: the interpreter the hotload program embeds. */
int pyhost_init(struct options *, struct filelist *, void (*)(void));
void pyhost_finalize(bool);
int pyhost_repl(struct loop *);

#endif
