#!/bin/bash
cd /work/wt/faults
for i in 1 2 3 4 5; do
  node --diagnostic-report-on-signal --diagnostic-report-directory=/tmp/faults-reports --import tsx test/platform-db-faults.test.ts > /tmp/faults-hunt$i.log 2>&1 &
  P=$!
  for s in $(seq 90); do sleep 1; kill -0 $P 2>/dev/null || break; done
  if kill -0 $P 2>/dev/null; then echo "run $i hung" >> /tmp/faults-hunt.txt; kill -USR2 $P; sleep 5; kill -9 $P; exit 0; fi
  echo "run $i done" >> /tmp/faults-hunt.txt
done
