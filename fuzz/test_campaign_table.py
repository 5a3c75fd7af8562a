#!/usr/bin/python3
"""fuzz/campaign_table.py reads libFuzzer's final statistics and counts the saved findings."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

LOG = """INFO: Seed: 7
#2\tINITED cov: 10 ft: 11 corp: 2/20b exec/s: 0 rss: 30Mb
#1234\tREDUCE cov: 275 ft: 700 corp: 160/1000Kb lim: 16384 exec/s: 2900 rss: 400Mb L: 1/2 MS: 1 X-
#1000000\tDONE   cov: 280 ft: 760 corp: 167/1029Kb lim: 16384 exec/s: 2915 rss: 424Mb
Done 1000000 runs in 343 second(s)
stat::number_of_executed_units: 1000000
stat::average_exec_per_sec:     2915
stat::new_units_added:          749
"""


class CampaignTable(unittest.TestCase):
    def test_rows_from_the_final_statistics_and_the_findings(self):
        with tempfile.TemporaryDirectory() as out:
            os.mkdir(os.path.join(out, "artifacts"))
            with open(os.path.join(out, "elf.log"), "w") as f:
                f.write(LOG)
            with open(os.path.join(out, "npy.log"), "w") as f:
                f.write(LOG.replace("1000000", "5000").replace("2915", "40"))
            open(os.path.join(out, "artifacts", "npy-crash-abc"), "w").close()
            table = subprocess.run([sys.executable, os.path.join(HERE, "campaign_table.py"), out], capture_output=True,
                                   text=True, check=True).stdout.splitlines()
        self.assertEqual(table[2], "| `fuzz_elf` | 1,000,000 | 2,915 | 280 | 167 | 0 |")
        self.assertEqual(table[3], "| `fuzz_npy` | 5,000 | 40 | 280 | 167 | 1 |")


if __name__ == "__main__":
    unittest.main()
