# hotload.bash: bash completion for hotload(1).
# The options are those of `hotload --help`; tests/integration/test_docs.py
# fails when the two disagree. Works with or without bash-completion.

# Print the modules in the current directory: *.py files and packages.
_hotload_modules()
{
	local f
	for f in *.py */__init__.py; do
		[[ -f $f ]] || continue
		f=${f%/__init__.py}
		printf '%s\n' "${f%.py}"
	done
}

# Print the file of the module named $1 (lib, pkg.mod, lib.py, src/app.py)
# as hotload would find it from the current directory, if there is one.
_hotload_module_file()
{
	local f=$1
	if [[ $f == */* || $f == *.py ]]; then
		f=${f%.py}.py
	elif [[ -f ${f//.//}.py ]]; then
		f=${f//.//}.py
	else
		f=${f//.//}/__init__.py
	fi
	[[ -f $f ]] && printf '%s\n' "$f"
}

# Print the functions defined at the top level of the module named by the
# last -m before the word being completed.
_hotload_functions()
{
	local i mod= file
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-m | --module)
			mod=${words[i + 1]}
			[[ $mod == = ]] && mod=${words[i + 2]}
			;;
		--module=*) mod=${words[i]#--module=} ;;
		-m?*) mod=${words[i]#-m} ;;
		esac
	done
	local def='^\(async[[:space:]]\{1,\}\)\{0,1\}def[[:space:]]\{1,\}'
	local name='\([A-Za-z_][A-Za-z0-9_]*\)'
	[[ -n $mod ]] && file=$(_hotload_module_file "$mod") || return
	sed -n "s/$def$name.*/\\2/p" "$file"
}

# Print .py and the endings of the files in the current directory.
_hotload_exts()
{
	local f
	printf '%s\n' .py
	for f in *.*; do
		[[ -f $f ]] && printf '.%s\n' "${f##*.}"
	done
}

# Complete file and directory names; with an ending, only files with it.
_hotload_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
		return
	fi
	compopt -o filenames 2>/dev/null
	if [[ -n ${1-} ]]; then
		mapfile -t COMPREPLY < <(compgen -f -X "!*.$1" -- "$cur"
			compgen -d -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

_hotload()
{
	local cur prev words cword split=false i
	local opts="-m --module --pre-hook --post-hook --entrypoint -R --recursive
		--no-patch
		-r --run
		-c --clear-terminal --no-clear --restart --signal --kill-after
		-a --auto -e --ext -0 --null --ignore --no-ignore -p --postpone
		-1 --once --watcher -i --interval --repl -n --non-interactive
		--pdb --events --color -q --quiet -v --verbose
		-h --help -V --version"

	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		# Without bash-completion, "--module=li" arrives as three words.
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		if [[ $cur == = ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 1]}
			cur=
			split=true
		elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
			split=true
		fi
	fi

	# After "--" every word is a file or directory.
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_hotload_files
			return
		fi
	done

	case $prev in
	-m | --module)
		if [[ $cur == */* ]]; then
			_hotload_files py
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$(_hotload_modules)" -- "$cur")
		fi
		return
		;;
	-r | --run)
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		return
		;;
	-e | --ext)
		mapfile -t COMPREPLY < <(compgen -W "$(_hotload_exts | sort -u)" \
			-- "$cur")
		return
		;;
	--watcher)
		mapfile -t COMPREPLY < <(compgen -W "auto inotify poll" -- "$cur")
		return
		;;
	--ignore)
		# A pattern; most often a directory to leave out, as in build/.
		mapfile -t COMPREPLY < <(compgen -d -S / -- "$cur")
		compopt -o nospace 2>/dev/null
		return
		;;
	--signal)
		mapfile -t COMPREPLY < <(compgen -W "TERM INT HUP QUIT KILL USR1 USR2" \
			-- "$cur")
		return
		;;
	--pre-hook | --post-hook | --entrypoint)
		mapfile -t COMPREPLY < <(compgen -W "$(_hotload_functions)" \
			-- "$cur")
		return
		;;
	--events)
		_hotload_files
		return
		;;
	--color)
		mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
		return
		;;
	-i | --interval | --kill-after)
		# A number: nothing to offer.
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	_hotload_files
}

complete -F _hotload hotload
