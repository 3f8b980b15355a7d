"""The papers' headline numbers, shown beside ours in reports and charts (percent unless noted).

* RefactorCoderQA (paper 000), Table IV: RefactorCoder-MoE accuracy per domain and overall;
  Table VI: mean human and JudgeLLM (GPT-4o) scores per dimension, overall; Table VII: mean latency (s).
* PerfOrch (paper 001): HumanEval-X pass rates per language (96.22% on average, 17 models orchestrated),
  median execution-time improvement per language on HumanEval-X (Table 9).
"""

MCQ_REFACTORCODER_MOE = {"SE": 74.68, "NLP": 75.70, "ML": 83.01, "DS": 77.32, "overall": 76.84}
JUDGE_TABLE_VI_OVERALL = {"human": {"accuracy": 4.63, "clarity": 4.64, "efficiency": 4.51},
                          "judge": {"accuracy": 4.74, "clarity": 4.84, "efficiency": 4.64}}
LATENCY_TABLE_VII = {"SE": {"guide": 6.425, "solve": 5.919, "judge": 1.987},
                     "NLP": {"guide": 6.096, "solve": 6.220, "judge": 2.008},
                     "DS": {"guide": 4.946, "solve": 5.336, "judge": 1.999},
                     "ML": {"guide": 5.758, "solve": 6.015, "judge": 2.824}}
PERFORCH_HUMANEVAL_X_PASS = {"python": 98.78, "java": 95.73, "cpp": 97.56, "go": 97.56, "rust": 91.46,
                             "overall": 96.22}
PERFORCH_MEDIAN_TIME_IMPROVEMENT = {"python": 17.67, "java": 8.82, "cpp": 25.14, "go": 5.46, "rust": 27.66}
