"""Print, then sleep on the first attempt only, so that a restart completes.

With child=yes it also starts a child process (in its own process group)
whose pid goes to child.pid, to show that a signal stops the whole group.
"""

import os
import subprocess
import time

seconds = 30.0
child = False

print("sleepy: started", flush=True)
if not os.path.exists("slept"):
    if child:
        p = subprocess.Popen(["sleep", str(seconds + 30)])
        with open("child.pid", "w") as f:
            f.write(str(p.pid))
    with open("slept", "w") as f:
        f.write(str(os.getpid()))
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        print(f"tick {i}", flush=True)
        i += 1
        time.sleep(0.1)
print("sleepy: done", flush=True)
