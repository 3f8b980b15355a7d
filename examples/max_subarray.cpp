#include <vector>
#include <algorithm>

// Return the largest sum of a contiguous, non-empty subarray of `nums`.
int maxSubarray(const std::vector<int>& nums) {
    int best = nums[0];
    for (size_t i = 0; i < nums.size(); ++i) {
        int sum = 0;
        for (size_t j = i; j < nums.size(); ++j) {
            sum += nums[j];
            best = std::max(best, sum);  // "}" inside a string or comment does not count
        }
    }
    return best;
}
