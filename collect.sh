#!/bin/sh
# assess 0.1.0 collector for fleet tooling (Ansible, Salt, cron): emitted by
# `assess collector emit`. Read-only: it reads files and runs read-only commands, writes nothing on
# the host and changes nothing; everything it finds goes to standard output.
#
# Run it on each Linux host as root (as another user, facts that need root are reported as
# errors, 无法判定), keeping standard output:
#   sh collect.sh > "$(hostname).assess.out"
# then evaluate all outputs centrally:
#   assess collector ingest *.assess.out
#
# catalog: gbt22239-2019-level3-general sha256 eb99e1dab1978a815f4dd6d09a624035fffeba00119addba18669d34f888e539
# profile: level3
# facts (27, 6 need root):
#   collector sudoers mac_policy file_modes ssh_access accounts home_search shadow auditd auditd_conf
#   audit_rules login_defs logging pam clamav integrity_tools trusted_boot time_sync scheduled_jobs
#   processes listening services snmp shell_session packages sshd os_release
# assess collector: read-only; one section per fact
B='@@ASSESS-6cac36c4c1f80185'
R=''

LC_ALL=C; LANG=C; export LC_ALL LANG
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH
umask 077
# _cat FILE: the file with a final newline guaranteed (awk adds one where it is missing); one process.
_cat() { awk 1 "$1" 2>/dev/null; }
# _file PATH...: the content of each file (under $R), or that it is missing or unreadable.
_file() {
  for _f in "$@"; do
    if [ ! -e "$R$_f" ] || [ -d "$R$_f" ]; then echo "$B M $_f"
    elif [ ! -r "$R$_f" ]; then echo "$B D $_f"
    else echo "$B F $_f"; _cat "$R$_f"; fi
  done
}
# _glob PATTERN...: _file for every existing match (under $R); nothing when there is none.
_glob() {
  for _p in "$@"; do
    for _f in $R$_p; do [ -e "$_f" ] && [ ! -d "$_f" ] && _file "${_f#"$R"}"; done
  done
}
# _cmd NAME ARGS...: run a command with its exit status, or say it is not installed.
_cmd() {
  if command -v "$1" >/dev/null 2>&1; then
    echo "$B C $*"; "$@" 2>&1; echo "$B RC $?"
  else echo "$B X $1"; fi
}
# _t SECONDS CMD...: bound a slow command where timeout(1) exists.
_t() { _s=$1; shift; if command -v timeout >/dev/null 2>&1; then timeout "$_s" "$@"; else "$@"; fi; }

printf '%s ASSESS-OUTPUT %s\n' "$B" 1
printf '%s META %s %s\n' "$B" tool 0.1.0
printf '%s META %s %s\n' "$B" catalog eb99e1dab1978a815f4dd6d09a624035fffeba00119addba18669d34f888e539
printf '%s META %s %s\n' "$B" profile level3
printf '%s META %s %s\n' "$B" facts 'collector sudoers mac_policy file_modes ssh_access accounts home_search shadow auditd auditd_conf audit_rules login_defs logging pam clamav integrity_tools trusted_boot time_sync scheduled_jobs processes listening services snmp shell_session packages sshd os_release'
printf '%s META %s %s\n' "$B" host "$(uname -n)"
printf '%s META %s %s\n' "$B" started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "$B BEGIN collector"
( _cmd id -u; _cmd id -un; _cmd hostname
) </dev/null 2>&1
_rc=$?; echo; echo "$B END collector $_rc"
echo "$B BEGIN sudoers"
( _file /etc/sudoers
set -f
_todo=/etc/sudoers
for _pass in 1 2 3 4; do
  _next=""
  for _f in $_todo; do
    for _d in $(awk '/^[#@]include(dir)?[ \t]/{gsub(/"/,"",$2); print $1 "|" $2}' "$R$_f" 2>/dev/null); do
      _kind=${_d%%|*}; _p=${_d#*|}
      case "$_p" in /*) ;; *) _p="${_f%/*}/$_p" ;; esac
      case "$_kind" in
        *includedir) set +f; for _g in "$R$_p"/*; do [ -f "$_g" ] && _next="$_next ${_g#"$R"}"; done; set -f ;;
        *) _next="$_next $_p" ;;
      esac
    done
  done
  [ -n "$_next" ] || break
  _file $_next
  _todo=$_next
done
set +f
) </dev/null 2>&1
_rc=$?; echo; echo "$B END sudoers $_rc"
echo "$B BEGIN mac_policy"
( _cmd getenforce
_file /etc/selinux/config /sys/fs/selinux/enforce /sys/module/apparmor/parameters/enabled /sys/kernel/security/apparmor/profiles
) </dev/null 2>&1
_rc=$?; echo; echo "$B END mac_policy $_rc"
echo "$B BEGIN file_modes"
( _cmd stat -c %a:%U:%G:%n /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/sudoers /etc/ssh/sshd_config
) </dev/null 2>&1
_rc=$?; echo; echo "$B END file_modes $_rc"
echo "$B BEGIN ssh_access"
( for _b in /usr/sbin/sshd /usr/bin/sshd /sbin/sshd; do
  if [ -f "$R$_b" ]; then if grep -q libwrap "$R$_b" 2>/dev/null; then echo "libwrap yes"; else echo "libwrap no"; fi; break; fi
done
awk 'tolower($1)=="port"{print "port", $2}' "$R/etc/ssh/sshd_config" $R/etc/ssh/sshd_config.d/*.conf 2>/dev/null
_file /etc/hosts.allow /etc/hosts.deny
_cmd iptables-save
_cmd nft list ruleset
) </dev/null 2>&1
_rc=$?; echo; echo "$B END ssh_access $_rc"
echo "$B BEGIN accounts"
( if [ ! -e "$R/etc/passwd" ]; then echo "$B M /etc/passwd"
elif [ ! -r "$R/etc/passwd" ]; then echo "$B D /etc/passwd"
else
  echo "$B F /etc/passwd"
  awk -F: -v OFS=: '$1 !~ /^[+-]/ && NF >= 7 {print $1, $3, $4, $6, $7}' "$R/etc/passwd"
fi
_file /etc/group /etc/hosts.equiv /etc/shosts.equiv
if [ -r "$R/etc/passwd" ]; then
  _t 5 sh -c '
    awk -F: "NF >= 7 {print \$6}" "$1/etc/passwd" | sort -u | while read -r h; do
      for n in .rhosts .shosts; do
        [ -n "$h" ] && [ -f "$1$h/$n" ] && echo "$2 F $h/$n" && grep -v "^[[:space:]]*#" "$1$h/$n" | grep -c "[^[:space:]]"
      done
    done' _ "$R" "$B"
fi
) </dev/null 2>&1
_rc=$?; echo; echo "$B END accounts $_rc"
echo "$B BEGIN home_search"
( if [ -r "$R/etc/passwd" ]; then
  awk -F: 'NF >= 7 {print $6}' "$R/etc/passwd" | sort -u | while read -r _h; do
    [ -n "$_h" ] && [ -d "$R$_h" ] && [ ! -x "$R$_h" ] && echo "unsearchable $_h"
  done
fi
) </dev/null 2>&1
_rc=$?; echo; echo "$B END home_search $_rc"
echo "$B BEGIN shadow"
( echo "today $(( $(date +%s) / 86400 ))"
if [ ! -e "$R/etc/shadow" ]; then echo "$B M /etc/shadow"
elif [ ! -r "$R/etc/shadow" ]; then echo "$B D /etc/shadow"
else
  echo "$B F /etc/shadow"
  awk -F: -v OFS=: 'function state(p) {
  if (p == "") return "empty"
  if (p ~ /^!/) return "locked"
  if (p ~ /^\*/) return "disabled"
  if (p ~ /^\$/ || p ~ /^[.\/0-9A-Za-z]{13}$/) return "hash"
  return "other"
}
  $1 !~ /^[+-]/ && NF >= 8 {print $1, state($2), $3, $4, $5, $6, $7, $8}' "$R/etc/shadow"
fi
if [ -r "$R/etc/passwd" ]; then
  echo "$B F /etc/passwd"
  awk -F: -v OFS=: 'function state(p) {
  if (p == "") return "empty"
  if (p ~ /^!/) return "locked"
  if (p ~ /^\*/) return "disabled"
  if (p ~ /^\$/ || p ~ /^[.\/0-9A-Za-z]{13}$/) return "hash"
  return "other"
}
  $1 !~ /^[+-]/ && NF >= 7 {print $1, ($2 == "x" ? "shadow" : state($2)), $3, $7}' "$R/etc/passwd"
else echo "$B D /etc/passwd"; fi
) </dev/null 2>&1
_rc=$?; echo; echo "$B END shadow $_rc"
echo "$B BEGIN auditd"
( for _p in /sbin/auditd /usr/sbin/auditd /sbin/auditctl /usr/sbin/auditctl; do [ -e "$R$_p" ] && echo "exists $_p"; done
for _f in "$R"/etc/rc[235].d/S*auditd "$R"/etc/rc.d/rc[35].d/S*auditd; do [ -e "$_f" ] && echo "rc ${_f##*/}"; done
_cmd systemctl is-enabled auditd
) </dev/null 2>&1
_rc=$?; echo; echo "$B END auditd $_rc"
echo "$B BEGIN auditd_conf"
( _file /etc/audit/auditd.conf
_glob '/etc/audit/plugins.d/*.conf' '/etc/audisp/plugins.d/*.conf'
_cmd date +%s
_cmd ls -ln --time-style=+%s /var/log/audit
) </dev/null 2>&1
_rc=$?; echo; echo "$B END auditd_conf $_rc"
echo "$B BEGIN audit_rules"
( _cmd auditctl -s
_cmd auditctl -l
_file /etc/audit/audit.rules
_glob '/etc/audit/rules.d/*.rules'
) </dev/null 2>&1
_rc=$?; echo; echo "$B END audit_rules $_rc"
echo "$B BEGIN login_defs"
( _file /etc/login.defs
) </dev/null 2>&1
_rc=$?; echo; echo "$B END login_defs $_rc"
echo "$B BEGIN logging"
( for _p in /usr/sbin/rsyslogd /sbin/rsyslogd /usr/sbin/syslog-ng /sbin/syslog-ng /usr/sbin/logrotate /sbin/logrotate     /usr/bin/logrotate /etc/logrotate.conf; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
[ -d "$R/var/log/journal" ] && echo "journal directory"
{ _file /etc/rsyslog.conf; _glob '/etc/rsyslog.d/*'; } | sed -E -e 's/((pass(word|wd|phrase)?|pwd|secret|token|api_?key)[A-Za-z_]*[[:space:]]*[=:][[:space:]]*)("[^"]*"|[^[:space:]";]+)/\1***/Ig' -e 's#(://[^/:@[:space:]]+:)[^@/[:space:]]+@#\1***@#g' -e 's/(sshpass[[:space:]]+-p[[:space:]]*)[^[:space:]]+/\1***/g' -e 's/(^|[[:space:]])-p[^[:space:]]+/\1-p***/g'
{ _glob /etc/syslog-ng/syslog-ng.conf '/etc/syslog-ng/conf.d/*'; } | sed -E -e 's/((pass(word|wd|phrase)?|pwd|secret|token|api_?key)[A-Za-z_]*[[:space:]]*[=:][[:space:]]*)("[^"]*"|[^[:space:]";]+)/\1***/Ig' -e 's#(://[^/:@[:space:]]+:)[^@/[:space:]]+@#\1***@#g' -e 's/(sshpass[[:space:]]+-p[[:space:]]*)[^[:space:]]+/\1***/g' -e 's/(^|[[:space:]])-p[^[:space:]]+/\1-p***/g'
_glob /etc/systemd/journald.conf '/usr/lib/systemd/journald.conf.d/*.conf' '/etc/systemd/journald.conf.d/*.conf'
_glob /etc/systemd/journal-upload.conf '/etc/systemd/journal-upload.conf.d/*.conf'
_file /etc/logrotate.conf
_glob '/etc/logrotate.d/*'
_cmd systemctl is-enabled systemd-journal-upload
_cmd date +%s
_cmd ls -ln --time-style=+%s /var/log
_cmd ls -ln --time-style=+%s /var/log/audit
_cmd ls -lnR --time-style=+%s /var/log/journal
) </dev/null 2>&1
_rc=$?; echo; echo "$B END logging $_rc"
echo "$B BEGIN pam"
( for d in /lib/security /lib64/security /usr/lib/security /usr/lib64/security /lib/*-linux-gnu/security /usr/lib/*-linux-gnu/security; do
  [ -d "$R$d" ] || continue
  for m in "$R$d"/pam_*.so; do [ -e "$m" ] && echo "module ${m##*/}"; done
done
_cmd rpm -q --qf %{VERSION} libpwquality
_cmd dpkg-query -W -f='${Version}' libpwquality1
_glob '/etc/pam.d/*'
_file /etc/security/pwquality.conf /etc/security/faillock.conf /etc/authselect/authselect.conf
_glob '/etc/security/pwquality.conf.d/*.conf'
) </dev/null 2>&1
_rc=$?; echo; echo "$B END pam $_rc"
echo "$B BEGIN clamav"
( for _p in /usr/bin/clamscan /usr/sbin/clamd /usr/bin/clamdscan /usr/bin/freshclam; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
for _f in daily.cld daily.cvd main.cld main.cvd; do
  [ -r "$R/var/lib/clamav/$_f" ] && echo "db $_f $(head -c 160 "$R/var/lib/clamav/$_f" | tr -cd '[:print:]')"
done
_cmd date +%s
) </dev/null 2>&1
_rc=$?; echo; echo "$B END clamav $_rc"
echo "$B BEGIN integrity_tools"
( for _p in /usr/sbin/aide /usr/bin/aide /usr/sbin/tripwire /usr/sbin/samhain /usr/local/sbin/samhain; do
  [ -e "$R$_p" ] && echo "exists $_p"
done
for _f in /etc/aide.conf /etc/aide/aide.conf; do
  [ -f "$R$_f" ] && grep -hE '^[[:space:]]*(database|database_in|database_out|@@define[[:space:]]+DBDIR)' "$R$_f" | sed "s|^|aideconf |"
done
for _d in /var/lib/aide /var/lib/tripwire /var/lib/samhain; do
  [ -d "$R$_d" ] || continue
  if [ -r "$R$_d" ] && [ -x "$R$_d" ]; then
    for _f in "$R$_d"/*; do [ -f "$_f" ] && echo "dbfile ${_f#"$R"}"; done
  else echo "denied $_d"; fi
done
[ -f "$R/etc/tripwire/tw.cfg" ] && echo "exists /etc/tripwire/tw.cfg"
) </dev/null 2>&1
_rc=$?; echo; echo "$B END integrity_tools $_rc"
echo "$B BEGIN trusted_boot"
( for _d in "$R"/sys/class/tpm/tpm*; do [ -e "$_d" ] && echo "tpm ${_d##*/}"; done
[ -d "$R/sys/firmware/efi" ] && echo "efi"
for _f in "$R"/sys/firmware/efi/efivars/SecureBoot-*; do
  [ -r "$_f" ] && echo "secureboot $(od -An -t u1 "$_f" 2>/dev/null | awk '{print $NF}')"
done
_file /sys/kernel/security/ima/runtime_measurements_count /proc/cmdline
) </dev/null 2>&1
_rc=$?; echo; echo "$B END trusted_boot $_rc"
echo "$B BEGIN time_sync"
( _cmd timedatectl show
_cmd _t 3 chronyc -n tracking
_cmd _t 3 ntpq -pn
) </dev/null 2>&1
_rc=$?; echo; echo "$B END time_sync $_rc"
echo "$B BEGIN scheduled_jobs"
( [ -r "$R/proc/drbd" ] && echo "drbd"
for _d in /var/spool/cron /var/spool/cron/crontabs; do
  [ -d "$R$_d" ] && { [ -r "$R$_d" ] && [ -x "$R$_d" ] || echo "denied $_d"; }
done
_units=""; _timers=""
for _t in "$R"/etc/systemd/system/*.wants/*.timer; do
  { [ -e "$_t" ] || [ -L "$_t" ]; } || continue
  _n=${_t##*/}
  echo "timer $_n"
  for _d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
    [ -f "$R$_d/$_n" ] && _timers="$_timers $R$_d/$_n"
    [ -f "$R$_d/${_n%.timer}.service" ] && _units="$_units $R$_d/${_n%.timer}.service"
  done
done
if [ -n "$_timers" ]; then
  for _u in $(sed -n 's/^Unit=//p' $_timers); do
    for _d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
      [ -f "$R$_d/$_u" ] && _units="$_units $R$_d/$_u"
    done
  done
fi
_units="$_timers $_units"
[ -n "${_units# }" ] && grep -H -E '^(Unit|ExecStart)=' $_units 2>/dev/null | sed "s|^$R||; s|^|unit |" | sed -E -e 's/((pass(word|wd|phrase)?|pwd|secret|token|api_?key)[A-Za-z_]*[[:space:]]*[=:][[:space:]]*)("[^"]*"|[^[:space:]";]+)/\1***/Ig' -e 's#(://[^/:@[:space:]]+:)[^@/[:space:]]+@#\1***@#g' -e 's/(sshpass[[:space:]]+-p[[:space:]]*)[^[:space:]]+/\1***/g' -e 's/(^|[[:space:]])-p[^[:space:]]+/\1-p***/g'
{ _glob /etc/crontab /etc/anacrontab '/etc/cron.d/*' '/var/spool/cron/*' '/var/spool/cron/crontabs/*' \
    '/etc/cron.hourly/*' '/etc/cron.daily/*' '/etc/cron.weekly/*' '/etc/cron.monthly/*'; } | sed -E -e 's/((pass(word|wd|phrase)?|pwd|secret|token|api_?key)[A-Za-z_]*[[:space:]]*[=:][[:space:]]*)("[^"]*"|[^[:space:]";]+)/\1***/Ig' -e 's#(://[^/:@[:space:]]+:)[^@/[:space:]]+@#\1***@#g' -e 's/(sshpass[[:space:]]+-p[[:space:]]*)[^[:space:]]+/\1***/g' -e 's/(^|[[:space:]])-p[^[:space:]]+/\1-p***/g'
) </dev/null 2>&1
_rc=$?; echo; echo "$B END scheduled_jobs $_rc"
echo "$B BEGIN processes"
( _cmd ps -e -o pid=,uid=,ppid=,comm=
) </dev/null 2>&1
_rc=$?; echo; echo "$B END processes $_rc"
echo "$B BEGIN listening"
( _cmd ss -tulnp
if [ -n "$R" ] || ! command -v ss >/dev/null 2>&1; then _cmd netstat -tulnp; fi
) </dev/null 2>&1
_rc=$?; echo; echo "$B END listening $_rc"
echo "$B BEGIN services"
( [ -d "$R/run/systemd/system" ] && echo "systemd running"
for _f in "$R"/etc/rc2.d/S* "$R"/etc/rc3.d/S* "$R"/etc/rc5.d/S* "$R"/etc/rc.d/rc3.d/S* "$R"/etc/rc.d/rc5.d/S*; do
  [ -e "$_f" ] && echo "rc ${_f##*/}"
done
for _f in "$R"/etc/systemd/system/*.wants/* "$R"/etc/systemd/system/*.requires/*; do
  { [ -e "$_f" ] || [ -L "$_f" ]; } && echo "wants ${_f##*/}"
done
for _f in "$R"/etc/systemd/system/*.service "$R"/etc/systemd/system/*.socket; do
  [ -L "$_f" ] && [ "$(readlink "$_f")" = /dev/null ] && echo "masked ${_f##*/}"
done
[ -e "$R/usr/sbin/smbd" ] && echo "installed smbd"
[ -r "$R/proc/mounts" ] && awk '$3 ~ /^nfs/ {print "nfsmount " $2}' "$R/proc/mounts"
_cmd systemctl list-units --type=service,socket --state=running,listening --no-legend --no-pager --plain
_glob /etc/xinetd.conf '/etc/xinetd.d/*'
_file /etc/inetd.conf /etc/exports
_glob '/etc/exports.d/*.exports'
_file /etc/samba/smb.conf
) </dev/null 2>&1
_rc=$?; echo; echo "$B END services $_rc"
echo "$B BEGIN snmp"
( [ -e "$R/usr/sbin/snmpd" ] && echo "installed snmpd"
for _f in "$R/etc/snmp/snmpd.conf" "$R"/etc/snmp/snmpd.conf.d/*.conf; do
  [ -f "$_f" ] || continue
  if [ -r "$_f" ]; then echo "file ${_f#"$R"}"; awk '
{ sub(/#.*/, "") }
$1 ~ /^(ro|rw)community6?$/ { d = ($2 == "public" || $2 == "private") ? "default" : "custom";
  print "community " $1 " " d " " ($3 == "" ? "any" : $3) }
$1 ~ /^com2sec6?$/ { i = 2; if ($i == "-Cn") i += 2;
  d = ($(i+2) == "public" || $(i+2) == "private") ? "default" : "custom"; print "community " $1 " " d " " $(i+1) }
tolower($1) == "agentaddress" { print "agentaddress " $2 }
' "$_f"; else echo "denied ${_f#"$R"}"; fi
done
) </dev/null 2>&1
_rc=$?; echo; echo "$B END snmp $_rc"
echo "$B BEGIN shell_session"
( _file /etc/environment /etc/profile /etc/bash.bashrc /etc/bashrc /etc/profile.d/sh.local
_glob '/etc/profile.d/*.sh'
) </dev/null 2>&1
_rc=$?; echo; echo "$B END shell_session $_rc"
echo "$B BEGIN packages"
( for _f in /var/log/dpkg.log /var/log/dnf.rpm.log /var/log/yum.log; do
  [ -r "$R$_f" ] && echo "lastlog $_f $(tail -n 1 "$R$_f")"
done

if [ -f "$R/var/lib/dpkg/status" ]; then
  echo "manager dpkg"
  [ -r "$R/etc/os-release" ] && sed -n 's/^ID=/osid /p' "$R/etc/os-release" | tr -d '"'
  for _f in "$R"/var/lib/apt/lists/*_Packages*; do
    [ -f "$_f" ] || continue
    case "$_f" in *.diff_Index) continue ;; esac
    echo "list ${_f##*/}"
  done
  for _f in "$R"/var/lib/apt/lists/*security*Release; do
    [ -f "$_f" ] && echo "release ${_f##*/} $(grep -m1 '^Date:' "$_f" | cut -c7-)"
  done
  {
    grep -E '^(Package|Architecture|Version|Status):|^$' "$R/var/lib/dpkg/status"; echo; echo "--split--"
    for _f in "$R"/var/lib/apt/lists/*security*_Packages*; do
      case "$_f" in *.diff_Index) continue ;; esac
      [ -f "$_f" ] || continue
      case "$_f" in
        *.gz) gzip -dc "$_f" ;; *.xz) xz -dc "$_f" ;; *.bz2) bzip2 -dc "$_f" ;;
        *.lz4|*.zst) /usr/lib/apt/apt-helper cat-file "$_f" ;;
        *) cat "$_f" ;;
      esac 2>/dev/null | grep -E '^(Package|Architecture|Version|Status):|^$'
      echo
    done
  } | awk '
$0 == "--split--" { part = 2; next }
/^Package:/ { p = $2; next } /^Architecture:/ { a = $2; next } /^Version:/ { v = $2; next } /^Status:/ { s = $0; next }
/^$/ {
  if (part != 2 && s ~ / installed$/) inst[p ":" a] = v
  else if (part == 2 && ((p ":" a) in inst)) print "sec " p " " a " " inst[p ":" a] " " v
  p = a = v = s = ""
}
'
  _cmd dpkg -l
else
  echo "manager rpm"
  _cmd rpm -qa --qf '%{NAME} %{INSTALLTIME}\n'
  if [ -n "$R" ] || command -v dnf >/dev/null 2>&1; then _cmd _t 60 dnf -C updateinfo list --security; fi
  if [ -n "$R" ] || ! command -v dnf >/dev/null 2>&1; then _cmd _t 60 yum -C updateinfo list security; fi
fi

_cmd date +%s
) </dev/null 2>&1
_rc=$?; echo; echo "$B END packages $_rc"
echo "$B BEGIN sshd"
( if [ -x "$R/usr/sbin/sshd" ] || [ -x "$R/usr/bin/sshd" ] || [ -x "$R/sbin/sshd" ]; then echo "binary yes"; else echo "binary no"; fi
[ -e "$R/etc/ssh/ssh_host_key" ] && echo "v1hostkey yes"
_cmd ssh -V
_cmd sshd -T
_cmd pgrep -x sshd
_file /etc/ssh/sshd_config
set -f
_todo=/etc/ssh/sshd_config
for _pass in 1 2 3 4; do
  _next=""
  for _f in $_todo; do
    for _p in $(awk 'tolower($1)=="include"{for(i=2;i<=NF;i++){gsub(/"/,"",$i);print $i}}' "$R$_f" 2>/dev/null); do
      case "$_p" in /*) ;; *) _p="/etc/ssh/$_p" ;; esac
      set +f
      for _g in $R$_p; do [ -f "$_g" ] && _next="$_next ${_g#"$R"}"; done
      set -f
    done
  done
  [ -n "$_next" ] || break
  _file $_next
  _todo=$_next
done
set +f
_file /etc/crypto-policies/back-ends/opensshserver.config /etc/sysconfig/sshd
) </dev/null 2>&1
_rc=$?; echo; echo "$B END sshd $_rc"
echo "$B BEGIN os_release"
( _file /etc/os-release /etc/redhat-release /etc/debian_version; _cmd uname -sr
) </dev/null 2>&1
_rc=$?; echo; echo "$B END os_release $_rc"
echo "$B DONE"
printf '%s META %s %s\n' "$B" finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
