from ..rules import RuleError

#: A rule of the content workflow was broken (the base layer's rule error, under content's name).
ContentError = RuleError
