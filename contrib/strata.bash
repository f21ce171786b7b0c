# bash completion for strata(1): commands, options and their values.
#
# Installed as share/bash-completion/completions/strata by 'make install';
# or source it from ~/.bashrc.  It needs nothing from the bash-completion
# package.  Keep the lists in step with 'strata help': tests/e2e/test_app.py
# checks them against 'strata --json help'.

_strata_commands="init new status up down redo history validate stamp adopt repair
schema test backup restore check recover embed current show help"

# Accepted before or after the command name.
_strata_global_opts="--url -u --dir -d --table --backup-dir --keep-backups
--lock-timeout --env --env-file --wait --wait-timeout --json --quiet -q
--verbose -v --no-color --no-backup --backup --no-check --help -h --version"

# The options of one command.
_strata_command_opts()
{
	case $1 in
	new) echo "--timestamp" ;;
	status) echo "--exit-code" ;;
	up) echo "--steps --dry-run --allow-out-of-order --ignore-checksums --sql --from" ;;
	down) echo "--steps --dry-run --sql --from" ;;
	stamp) echo "--delete" ;;
	adopt) echo "--dry-run" ;;
	repair) echo "--yes" ;;
	restore) echo "--force" ;;
	schema) echo "--format" ;;
	test) echo "--to --from-live" ;;
	backup | recover) echo "--output -o" ;;
	embed) echo "--output -o --symbol" ;;
	esac
}

# Does option $2 take a value (the next word) when the command is $1?
_strata_takes_value()
{
	case $2 in
	--url | -u | --dir | -d | --table | --backup-dir | --keep-backups | \
		--lock-timeout | --steps | --format | --symbol | --from | --to | --env | \
		--env-file | --wait-timeout)
		return 0
		;;
	--output | -o)
		case $1 in backup | recover | embed) return 0 ;; esac
		;;
	esac
	return 1
}

# Append each line that command "$@" prints to COMPREPLY, as it is (no
# splitting at spaces, no globbing).
_strata_add()
{
	local line
	while IFS= read -r line; do
		COMPREPLY+=("$line")
	done < <("$@")
}

# Add the words of list $1 that start with $2.
_strata_words()
{
	local IFS=$' \t\n'
	_strata_add compgen -W "$1" -- "$2"
}

# Add the files starting with $1 whose names end with one of the suffixes
# $2... (any file when none is given), and the folders to look in.
_strata_files()
{
	local cur=$1 s
	shift
	compopt -o filenames 2>/dev/null
	if (($# == 0)); then
		_strata_add compgen -f -- "$cur"
		return
	fi
	for s in "$@"; do
		_strata_add compgen -f -X "!*$s" -- "$cur"
	done
	_strata_add compgen -d -- "$cur"
}

_strata_dirs()
{
	compopt -o filenames 2>/dev/null
	_strata_add compgen -d -- "$1"
}

# URL schemes, SQLite files, and the path after 'sqlite:'.
_strata_url()
{
	local before=${#COMPREPLY[@]} i
	if [[ $1 == sqlite:* ]]; then
		_strata_files "${1#sqlite:}" .db .sqlite .sqlite3
		for ((i = before; i < ${#COMPREPLY[@]}; i++)); do
			COMPREPLY[i]=sqlite:${COMPREPLY[i]}
		done
		return
	fi
	_strata_words "sqlite: postgres:// postgresql:// mysql:// mariadb://" "$1"
	_strata_files "$1" .db .sqlite .sqlite3
}

# The versions of the migration files in folder $1 (001_x.sql -> 001).
_strata_versions()
{
	local f name
	for f in "$1"/[0-9]*.sql; do
		[[ -e $f ]] || continue
		name=${f##*/}
		name=${name%%_*}
		echo "${name%%.*}"
	done | sort -u
}

# Fill COMPREPLY for the words in array 'words', the last one being typed.
_strata_reply()
{
	local n=${#words[@]}
	local cur=${words[n - 1]} prev="" cmd="" dir="" backup_dir="" i w
	((n > 1)) && prev=${words[n - 2]}

	# The command is the first word that is neither an option nor the
	# value of one.
	for ((i = 1; i < n - 1; i++)); do
		w=${words[i]}
		case $w in
		--dir=*) dir=${w#*=} ;;
		--backup-dir=*) backup_dir=${w#*=} ;;
		-*=*) ;;
		-*)
			_strata_takes_value "$cmd" "$w" || continue
			((i++))
			case $w in
			--dir | -d) dir=${words[i]} ;;
			--backup-dir) backup_dir=${words[i]} ;;
			esac
			;;
		*) [[ -z $cmd ]] && cmd=$w ;;
		esac
	done
	[[ -z $dir ]] && dir=${STRATA_DIR:-./migrations}
	[[ -z $backup_dir ]] && backup_dir=${STRATA_BACKUP_DIR:-backups}

	# The value of an option, as the next word or after '='.
	local opt="" val=$cur
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		val=${cur#*=}
	elif [[ $prev == -* ]] && _strata_takes_value "$cmd" "$prev"; then
		opt=$prev
	fi
	if [[ -n $opt ]]; then
		local before=${#COMPREPLY[@]}
		case $opt in
		--dir | -d | --backup-dir) _strata_dirs "$val" ;;
		--output | -o | --env-file) _strata_files "$val" ;;
		--env) _strata_add compgen -v -- "$val" ;;
		--url | -u) _strata_url "$val" ;;
		--format) _strata_words "sql json" "$val" ;;
		--from) _strata_words "base $(_strata_versions "$dir")" "$val" ;;
		--to) _strata_words "head $(_strata_versions "$dir")" "$val" ;;
		esac
		if [[ $cur == --*=* ]]; then
			for ((i = before; i < ${#COMPREPLY[@]}; i++)); do
				COMPREPLY[i]=$opt=${COMPREPLY[i]}
			done
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		_strata_words "$_strata_global_opts $(_strata_command_opts "$cmd")" "$cur"
		return
	fi
	if [[ -z $cmd ]]; then
		_strata_words "$_strata_commands" "$cur"
		return
	fi
	case $cmd in
	help) _strata_words "$_strata_commands" "$cur" ;;
	up | stamp | show)
		_strata_words "$(_strata_versions "$dir")" "$cur"
		# the words only once one is begun: 'h' -> head, '+' -> +1
		[[ -n $cur ]] && _strata_words "head latest" "$cur"
		[[ $cmd == up && $cur == +* ]] && _strata_words "+1" "$cur"
		;;
	down) _strata_words "base $(_strata_versions "$dir")" "$cur" ;;
	embed) _strata_dirs "$cur" ;;
	restore)
		_strata_files "$cur" .bak
		if [[ -z $cur && -d $backup_dir ]]; then
			_strata_add compgen -f -X '!*.bak' -- "${backup_dir%/}/"
		fi
		;;
	esac
}

_strata()
{
	local -a words
	local bash_cur=${COMP_WORDS[COMP_CWORD]} line i skip

	COMPREPLY=()
	# bash splits words at ':' and '=' too (COMP_WORDBREAKS), which would
	# cut 'sqlite:x.db' or '--dir=x' in pieces: read the line itself.
	if [[ -n ${COMP_LINE-} ]]; then
		line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
		read -ra words <<<"$line"
		[[ ${#words[@]} -eq 0 || $line == *[[:space:]] ]] && words+=("")
	else
		words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
	fi
	_strata_reply

	# bash replaces only its own current word: drop what stands before it.
	local cur=${words[${#words[@]} - 1]}
	skip=$((${#cur} - ${#bash_cur}))
	if ((skip > 0)) && [[ ${cur:skip} == "$bash_cur" ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]:skip}
		done
	fi
	return 0
}

complete -F _strata strata
