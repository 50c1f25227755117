build/bin/chat_bench soak --minutes 30 --json --server-log bench/results/soak/blocking.server.log -- --engine blocking
