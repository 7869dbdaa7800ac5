# hotload.fish: fish completion for hotload(1).
# The options are those of `hotload --help`; tests/integration/test_docs.py
# fails when the two disagree.

# The word being completed, without an "--option=" in front.
function __hotload_token
    string replace -r -- '^--[a-z-]+=' '' (commandline -ct)
end

# Print the modules in the current directory (*.py files and packages), or
# Python files and directories once a slash has been typed.
function __hotload_modules
    set -l tok (__hotload_token)
    if string match -q -- '*/*' $tok
        for f in $tok*
            if test -d $f
                echo $f/
            else if string match -q -- '*.py' $f
                echo $f
            end
        end
        return
    end
    for f in *.py
        test -f $f; and string replace -r -- '\.py$' '' $f
    end
    for f in */__init__.py
        string replace -r -- '/__init__\.py$' '' $f
    end
end

# Print the functions defined at the top level of the module named by the
# last -m on the command line (lib, pkg.mod or a file).
function __hotload_functions
    set -l words (commandline -opc)
    set -l mod
    for i in (seq (count $words))
        switch $words[$i]
            case -m --module
                set -q words[(math $i + 1)]; and set mod $words[(math $i + 1)]
            case '--module=*'
                set mod (string replace -- --module= '' $words[$i])
            case '-m?*'
                set mod (string sub -s 3 -- $words[$i])
        end
    end
    test -n "$mod"; or return
    set -l file
    if string match -q -- '*/*' $mod; or string match -q -- '*.py' $mod
        set file (string replace -r -- '\.py$' '' $mod).py
    else
        set file (string replace -a -- . / $mod).py
        test -f $file; or set file (string replace -a -- . / $mod)/__init__.py
    end
    test -f $file; or return
    string replace -rf -- '^(?:async\s+)?def\s+([A-Za-z_]\w*).*' '$1' <$file
end

# Print py and the endings of the files in the current directory, with the
# dot if one has been typed (fish hides words that begin with a dot).
function __hotload_exts
    set -l dot
    string match -q -- '.*' (__hotload_token); and set dot .
    begin
        echo py
        for f in *.*
            test -f $f; and string replace -r -- '^.*\.' '' $f
        end
    end | sort -u | string replace -r -- '^' "$dot"
end

complete -c hotload -s m -l module -x -a '(__hotload_modules)' -d 'Import NAME, reload it in later rounds'
complete -c hotload -l pre-hook -x -a '(__hotload_functions)' -d 'Call FUNC() of the last --module before each reload'
complete -c hotload -l post-hook -x -a '(__hotload_functions)' -d 'Call FUNC() of the last --module after each import or reload'
complete -c hotload -l entrypoint -x -a '(__hotload_functions)' -d 'The same as --post-hook'
complete -c hotload -s R -l recursive -d 'Reload the changed modules a --module imports first'
complete -c hotload -l no-patch -d 'Reload plainly: old functions and instances keep the old code'
complete -c hotload -s r -l run -x -a '(__fish_complete_command)' -d 'Run CMD with /bin/sh -c'
complete -c hotload -s c -l clear-terminal -d 'Clear the screen and scrollback before each round'
complete -c hotload -l no-clear -d 'Do not clear the screen (the default)'
complete -c hotload -l restart -d 'A change stops a step that still runs, and starts the round again'
complete -c hotload -l signal -x -a 'TERM INT HUP QUIT KILL USR1 USR2' -d 'Stop commands with this signal'
complete -c hotload -l kill-after -x -d 'Kill commands this many seconds after the signal (5)'
complete -c hotload -s a -l auto -d 'Watch the files of the modules the --modules import'
complete -c hotload -s e -l ext -x -a '(__hotload_exts)' -d 'Keep only files ending in EXT'
complete -c hotload -s 0 -l null -d 'Read NUL-separated paths from stdin'
complete -c hotload -l ignore -x -a '(__fish_complete_directories)' -d 'Leave out of directories what GLOB matches'
complete -c hotload -l no-ignore -d 'Read no ignore files; drop the built-in rules'
complete -c hotload -s p -l postpone -d 'Wait for a change before the first round'
complete -c hotload -s 1 -l once -d 'Run one round and exit'
complete -c hotload -l watcher -x -a 'auto inotify poll' -d 'How to watch files'
complete -c hotload -s i -l interval -x -d 'Poll every MS milliseconds (default 6.94)'
complete -c hotload -l repl -d 'A Python prompt that sees the newest code'
complete -c hotload -s n -l non-interactive -d 'Never read keys from the terminal'
complete -c hotload -l pdb -d 'Debug failed Python code post-mortem with pdb'
complete -c hotload -l events -r -F -d 'Append a line of JSON to FILE after each round'
complete -c hotload -l color -x -a 'auto always never' -d 'When status lines are in colour'
complete -c hotload -s q -l quiet -d 'Print no status lines'
complete -c hotload -s v -l verbose -d 'Say how files are watched and which ones changed'
complete -c hotload -s h -l help -d 'Show the help and exit'
complete -c hotload -s V -l version -d 'Show the version and exit'
