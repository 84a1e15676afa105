# triggers.sh: fire every hook of bpf_lsm/'s families once (busybox sh;
# sourced by sensor-test.sh, run by hook-check.sh; in the VM at
# /lsm-vm/triggers.sh). What each check looks for is beside it.
PORT=${PORT:-4242}
echo "triggers: firing every hook once"
cp /usr/local/bin/trigger /tmp/sensor-probe          # an exec path only this test uses
trigger exec /tmp/sensor-probe exec /bin/true        # bprm_check_security: /tmp/sensor-probe, then /bin/busybox
echo "watched file" >>/tmp/watched
trigger open /tmp/watched                            # file_open of a watched path
nc -l -p $PORT >/dev/null 2>&1 &                     # socket_connect to a loopback listener
TRIGGERS_NC=$!
usleep 300000
trigger connect 127.0.0.1 $PORT                      # port=4242
kill $TRIGGERS_NC 2>/dev/null; wait $TRIGGERS_NC 2>/dev/null
# >= 64 bytes (an ELF header): init_module refuses shorter input before the hook
printf "%s\n" "this is not a kernel module, only text that is long enough to pass the size check" >/tmp/notamodule
trigger finit-module /tmp/notamodule                 # kernel_read_file: READING_MODULE = 2, the path
trigger init-module /tmp/notamodule                  # kernel_load_data: LOADING_MODULE = 2
trigger bpf-load                                     # bpf: BPF_PROG_LOAD = 5, socket filter = 1
trigger ptrace                                       # ptrace_access_check of its own child (target comm trigger)
trigger setuid 65534                                 # task_fix_setuid: new uid 65534
trigger mount-tmpfs /tmp/sensor-mnt                  # sb_mount: tmpfs on /tmp/sensor-mnt
umount /tmp/sensor-mnt
echo x >/tmp/sensor-chmod-me
trigger chmod /tmp/sensor-chmod-me 600               # path_chmod: mode 0600
echo x >/tmp/sensor-unlink-me
trigger unlink /tmp/sensor-unlink-me                 # path_unlink
trigger kill-child 10                                # task_kill: SIGUSR1 to its own child
